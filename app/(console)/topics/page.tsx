import type { Metadata } from "next";
import { Suspense } from "react";
import { TopicsPage } from "@/components/topics/topics-page";

export const metadata: Metadata = { title: "Topics" };

export default function Page() {
  return (
    <Suspense>
      <TopicsPage />
    </Suspense>
  );
}
