"use client";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { clusterHref, useCluster } from "@/components/clusters/cluster-picker";
import { canOperate } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote, Loading, PageHeader } from "@/components/ui";
import { ResetForm } from "./reset-form";
import { ResetPreview } from "./reset-preview";
import { buildRequest, fromParams, withForm, type FormState, type ResetRequest } from "./reset-request";
import { GroupState } from "./state";
import "./groups.css";

/**
 * Offset replay with kafka-consumer-groups --reset-offsets semantics: choose scope and strategy,
 * preview the exact effect (the dry run), then execute once the group is empty.
 */
export function ResetOffsets({ groupId }: { groupId: string }) {
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const cluster = useCluster();
  const me = trpc.auth.me.useQuery();
  const group = trpc.groups.get.useQuery({ cluster, groupId }, { refetchInterval: 3000 });
  const [form, setForm] = useState<FormState>(() => fromParams(new URLSearchParams(params)));
  const [csv, setCsv] = useState("");
  const [request, setRequest] = useState<ResetRequest | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const preview = trpc.groups.previewReset.useQuery({ cluster, groupId, ...request! }, { enabled: request !== null, refetchOnWindowFocus: false, retry: false });
  const utils = trpc.useUtils();
  const execute = trpc.groups.resetOffsets.useMutation({
    onSuccess: () => void utils.groups.get.invalidate(),
  });

  const change = (patch: Partial<FormState>) => {
    setForm((f) => ({ ...f, ...patch }));
    setRequest(null);
    execute.reset();
  };
  const onCsv = (text: string) => {
    setCsv(text);
    setRequest(null);
  };
  const onPreview = (e: FormEvent) => {
    e.preventDefault();
    const built = buildRequest(form, csv);
    if (typeof built === "string") {
      setFormError(built);
      return;
    }
    setFormError(null);
    execute.reset();
    router.replace(`${path}?${withForm(params, form)}`, { scroll: false });
    setRequest(built);
    if (request && JSON.stringify(request) === JSON.stringify(built)) void preview.refetch();
  };
  const p = preview.data;
  const onExecute = () => p && request && execute.mutate({ cluster, groupId, ...request, approved: p.partitions.map((r) => ({ topic: r.topic, partition: r.partition, next: r.next })) });

  return (
    <>
      <PageHeader
        title={`Reset offsets · ${groupId}`}
        subtitle={
          <>
            <Link href={clusterHref(`/groups/${encodeURIComponent(groupId)}`, cluster)}>{groupId}</Link> · cluster {cluster}
            {group.data && (
              <>
                {" "}
                · <GroupState state={group.data.state} /> · {group.data.members} members
              </>
            )}
          </>
        }
      />
      {group.error?.data?.code === "NOT_FOUND" ? (
        <p className="muted">This group has no committed offsets on this cluster yet; a reset creates them, so its consumers start there.</p>
      ) : (
        <ErrorNote error={group.error} retry={() => void group.refetch()} />
      )}
      <Card>
        <ResetForm form={form} onChange={change} csv={csv} onCsv={onCsv} topics={group.data?.topics} error={formError} onSubmit={onPreview} />
      </Card>

      {request && preview.isFetching && <Loading label="Planning the reset…" />}
      <ErrorNote error={preview.isFetching ? null : preview.error} retry={() => void preview.refetch()} />
      {p && request && !preview.isFetching && (
        <ResetPreview p={p} groupId={groupId} operator={canOperate(me.data?.role)} execute={execute} onExecute={onExecute} />
      )}
    </>
  );
}
