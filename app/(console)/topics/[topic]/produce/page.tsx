import type { Metadata } from "next";
import { Suspense } from "react";
import { ProducePage } from "@/components/messages/produce-page";

export async function generateMetadata({ params }: { params: Promise<{ topic: string }> }): Promise<Metadata> {
  return { title: `Produce · ${decodeURIComponent((await params).topic)}` };
}

export default async function Page({ params }: { params: Promise<{ topic: string }> }) {
  return (
    <Suspense>
      <ProducePage topic={decodeURIComponent((await params).topic)} />
    </Suspense>
  );
}
