"use client";
import { createTRPCClient, httpSubscriptionLink } from "@trpc/client";
import type { AppRouter } from "@/server/api/root";

/**
 * A client for tRPC subscriptions over server-sent events: the message browser's scans (progress,
 * then the page) and its live tail. Queries and mutations keep using the batched HTTP link.
 */
export const subscriptions = createTRPCClient<AppRouter>({ links: [httpSubscriptionLink({ url: "/api/trpc" })] });
