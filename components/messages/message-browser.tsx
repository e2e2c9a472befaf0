"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useMemo, useRef, useState } from "react";
import { useCluster } from "@/components/clusters/cluster-picker";
import { trpc } from "@/components/trpc";
import { TopicHeader } from "@/components/topics/topic-header";
import { ErrorNote } from "@/components/ui";
import type { BrowseResult } from "@/server/admin/browse";
import { BrowseBar } from "./browse-bar";
import { BrowseForm } from "./browse-form";
import { encodePositions, inputFromUrl, POSITION, previousPage, type BrowseInput } from "./browse-url";
import { LiveTail } from "./live-tail";
import { ScanView } from "./scan-view";

/** A topic's records: search from any position with filters, page through, tail live, download. */
export function MessageBrowser({ topic }: { topic: string }) {
  const cluster = useCluster();
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const meta = trpc.topics.get.useQuery({ cluster, topic });
  const parsed = useMemo(() => inputFromUrl(params, cluster, topic), [params, cluster, topic]);
  // One object per distinct search, so a re-render with an equal search does not restart the scan.
  const inputKey = JSON.stringify(parsed.input ?? null);
  const input = useMemo(() => JSON.parse(inputKey) as BrowseInput | null, [inputKey]);
  const [live, setLive] = useState(false);
  const [attempt, setAttempt] = useState(0);
  /** Positions of the pages before this one, for Previous after Next. */
  const pages = useRef<string[]>([]);

  const go = (next: URLSearchParams, push = false) => {
    const url = next.size ? `${path}?${next}` : path;
    if (push) router.push(url);
    else router.replace(url);
  };
  const search = (next: URLSearchParams) => {
    pages.current = [];
    go(next, true);
  };
  const page = (dir: "next" | "prev", result: BrowseResult) => {
    const next = new URLSearchParams(params);
    if (dir === "next") {
      pages.current.push(params.get(POSITION) ?? "");
      next.set(POSITION, encodePositions(result.next));
    } else {
      const back = pages.current.pop();
      if (back) next.set(POSITION, back);
      else if (back === "") next.delete(POSITION);
      // Opened from a link: step back a page's worth in each partition.
      else next.set(POSITION, encodePositions(previousPage(result.start, result.logStart, input?.limit ?? 50)));
    }
    go(next);
  };

  return (
    <>
      <TopicHeader topic={topic} view="messages" />
      <ErrorNote error={meta.error} retry={() => void meta.refetch()} />
      <BrowseForm key={params.toString()} params={params} cluster={cluster} partitions={meta.data?.partitions.length} onSearch={search} />
      {!input ? (
        <>
          <BrowseBar status={null} topic={topic} records={[]} live={false} />
          <ErrorNote error={{ message: parsed.problem ?? "" }} />
        </>
      ) : live ? (
        <LiveTail key={inputKey} input={input} onStop={() => setLive(false)} />
      ) : (
        <ScanView key={`${inputKey}#${attempt}`} input={input} onPage={page} onRetry={() => setAttempt((n) => n + 1)} onLive={() => setLive(true)} />
      )}
    </>
  );
}
