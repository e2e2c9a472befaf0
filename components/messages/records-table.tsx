"use client";
import { Fragment, useMemo, useState } from "react";
import { formatBytes } from "@/components/format";
import { Timestamp } from "@/components/time-zone";
import type { BrowsedRecord } from "@/server/admin/browse";
import { preview } from "./bytes";
import { RecordDetail } from "./record-detail";

/** The records found, sortable by partition, offset, time or size; a row opens to its detail. */
export function RecordsTable({ records }: { records: BrowsedRecord[] }) {
  const [open, setOpen] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: "partition" | "offset" | "timestamp" | "size"; dir: 1 | -1 } | null>(null);
  const rows = useMemo(() => (sort ? [...records].sort((a, b) => (a[sort.key] - b[sort.key]) * sort.dir) : records), [records, sort]);
  const th = (key: "partition" | "offset" | "timestamp" | "size", label: string, num = true) => (
    <th className={num ? "num" : undefined} aria-sort={sort?.key === key ? (sort.dir === 1 ? "ascending" : "descending") : undefined}>
      <button type="button" className="th-sort" onClick={() => setSort((s) => ({ key, dir: s?.key === key && s.dir === 1 ? -1 : 1 }))}>
        {label}
        <span aria-hidden>{sort?.key === key ? (sort.dir === 1 ? " ▲" : " ▼") : ""}</span>
      </button>
    </th>
  );
  return (
    <table className="data records" aria-label="Records">
      <thead>
        <tr>
          {th("partition", "Partition")}
          {th("offset", "Offset")}
          {th("timestamp", "Timestamp", false)}
          <th>Key</th>
          <th>Value</th>
          {th("size", "Size")}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const id = `${r.partition}:${r.offset}`;
          return (
            <Fragment key={id}>
              <tr
                className="clickable"
                tabIndex={0}
                aria-expanded={open === id}
                onClick={() => setOpen(open === id ? null : id)}
                onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), setOpen(open === id ? null : id))}
              >
                <td className="num">{r.partition}</td>
                <td className="num">{r.offset}</td>
                <td className="nowrap">
                  <Timestamp at={r.timestamp} />
                </td>
                <td className="key">
                  <code>{preview(r.key, 40)}</code>
                </td>
                <td className="value">
                  <code>{preview(r.value)}</code>
                </td>
                <td className="num">{formatBytes(r.size)}</td>
              </tr>
              {open === id && (
                <tr className="details">
                  <td colSpan={6}>
                    <RecordDetail r={r} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
