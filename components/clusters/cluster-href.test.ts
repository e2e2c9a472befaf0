import { describe, expect, it } from "vitest";
import { slugOf } from "@/server/admin/clusters";
import { clusterHref } from "./cluster-picker";

describe("links that keep the picked cluster", () => {
  it("name clusters by readable slugs", () => {
    expect(slugOf("Prod East")).toBe("prod-east");
    expect(slugOf("  Kafka (EU) #2 ")).toBe("kafka-eu-2");
    expect(slugOf("Zürich")).toBe("zurich");
    expect(slugOf("!!!")).toBe("");
  });

  it("add the cluster to any link, keeping the link's own query, and leave the embedded one implicit", () => {
    expect(clusterHref("/groups", "prod-east")).toBe("/groups?cluster=prod-east");
    expect(clusterHref("/audit?action=groups.resetOffsets&target=g", "prod-east")).toBe("/audit?action=groups.resetOffsets&target=g&cluster=prod-east");
    expect(clusterHref("/topics/t/messages", "embedded", { p: "2", q: "" })).toBe("/topics/t/messages?p=2");
    expect(clusterHref("/", "embedded")).toBe("/");
  });
});
