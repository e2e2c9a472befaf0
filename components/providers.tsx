"use client";
import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { httpBatchLink, httpLink, splitLink, TRPCClientError } from "@trpc/client";
import { useState, type ReactNode } from "react";
import type { AppRouter } from "@/server/api/root";
import { trpc } from "./trpc";

/** What the server said about a failed call, when it was the server (not the network) that failed it. */
function apiError(err: unknown): TRPCClientError<AppRouter>["data"] {
  return err instanceof TRPCClientError ? (err as TRPCClientError<AppRouter>).data : undefined;
}

function isUnauthorized(err: unknown): boolean {
  return apiError(err)?.code === "UNAUTHORIZED";
}

/** A session that expires mid-use sends the user to the login page, back to where they were after. */
function toLogin() {
  if (window.location.pathname === "/login") return;
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(next)}`);
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        queryCache: new QueryCache({ onError: (err) => isUnauthorized(err) && toLogin() }),
        defaultOptions: {
          queries: {
            // A 4xx will not change on a retry; a 5xx or a dropped connection may.
            retry: (count, err) => !isUnauthorized(err) && (apiError(err)?.httpStatus ?? 500) >= 500 && count < 2,
            refetchOnWindowFocus: false,
          },
        },
      }),
  );
  const [client] = useState(() =>
    trpc.createClient({
      links: [
        splitLink({
          // An offsets file can be larger than a URL may be: that preview query travels as POST.
          condition: (op) => op.path === "groups.previewReset",
          true: httpLink({ url: "/api/trpc", methodOverride: "POST" }),
          false: httpBatchLink({ url: "/api/trpc" }),
        }),
      ],
    }),
  );
  return (
    <trpc.Provider client={client} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </trpc.Provider>
  );
}
