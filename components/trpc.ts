"use client";
import { createTRPCReact } from "@trpc/react-query";
import type { AppRouter } from "@/server/api/root";

/** Typed hooks for every procedure in server/api; types come from the router, so client and server cannot drift. */
export const trpc = createTRPCReact<AppRouter>();
