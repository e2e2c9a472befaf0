"use client";
import { trpc } from "./trpc";

/** Whether a role may change things (topics, groups, flows, agents): operators and admins. */
export function canOperate(role: string | undefined): boolean {
  return role === "operator" || role === "admin";
}

export function useCanOperate(): boolean {
  return canOperate(trpc.auth.me.useQuery().data?.role);
}

export function useIsAdmin(): boolean {
  return trpc.auth.me.useQuery().data?.role === "admin";
}
