import type { Metadata } from "next";
import { FlowDesigner } from "@/components/flow-designer/designer";

export const metadata: Metadata = { title: "Flow designer" };

export default async function FlowPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <FlowDesigner flowId={Number(id)} />;
}
