import type { Metadata } from "next";
import { FlowDesigner } from "@/components/flow-designer/designer";

export const metadata: Metadata = { title: "New flow" };

export default async function NewFlowPage({ searchParams }: { searchParams: Promise<{ template?: string }> }) {
  const { template } = await searchParams;
  return <FlowDesigner templateId={template} />;
}
