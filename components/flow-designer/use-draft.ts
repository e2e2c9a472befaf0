"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { trpc } from "@/components/trpc";
import type { FlowDefinition } from "./graph";

/**
 * The edit being made: a new flow's name, the version message, whether the drawing differs from
 * the saved version, and saving it (a new flow opens at its own address once created).
 */
export function useDraft({ flowId, saved, definition, defaultName }: { flowId?: number; saved: FlowDefinition; definition: FlowDefinition; defaultName?: string }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const [name, setName] = useState(defaultName ?? "");
  const [message, setMessage] = useState("");
  const [savedJson, setSavedJson] = useState(() => JSON.stringify(saved));
  const create = trpc.flows.create.useMutation();
  const update = trpc.flows.save.useMutation();

  const save = async () => {
    if (flowId === undefined) {
      const r = await create.mutateAsync({ name, definition, message: message || "First version" });
      await utils.flows.list.invalidate();
      router.push(`/flows/${r.id}`);
      return;
    }
    await update.mutateAsync({ flowId, definition, message });
    setSavedJson(JSON.stringify(definition));
    setMessage("");
    await Promise.all([utils.flows.get.invalidate({ id: flowId }), utils.flows.version.invalidate({ flowId })]);
  };

  return {
    name,
    setName,
    message,
    setMessage,
    dirty: JSON.stringify(definition) !== savedJson,
    save,
    saving: create.isPending || update.isPending,
    error: create.error ?? update.error,
  };
}

export type Draft = ReturnType<typeof useDraft>;
