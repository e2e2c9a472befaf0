"use client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { NodeKind } from "./graph";

export type Catalog = inferRouterOutputs<AppRouter>["flows"]["components"];

const SECTIONS: { key: keyof Catalog; kind: NodeKind; title: string }[] = [
  { key: "sources", kind: "source", title: "Sources" },
  { key: "interceptors", kind: "interceptor", title: "Interceptors" },
  { key: "selectors", kind: "selector", title: "Selectors" },
  { key: "channels", kind: "channel", title: "Channels" },
  { key: "sinks", kind: "sink", title: "Sinks" },
  { key: "sinkgroups", kind: "sinkgroup", title: "Sink groups" },
];

/** Every component type the runtime knows, by kind; drag one onto the canvas (or press Enter on it). */
export function Palette({ catalog, mime, onAdd }: { catalog: Catalog; mime: string; onAdd: (kind: NodeKind, type: string) => void }) {
  return (
    <nav className="palette" aria-label="Components">
      {SECTIONS.map((s) => (
        <section key={s.key}>
          <h3>{s.title}</h3>
          <ul>
            {catalog[s.key].map((c) => (
              <li
                key={c.type}
                draggable
                tabIndex={0}
                data-testid={`palette-${s.kind}-${c.type}`}
                title={c.description}
                onDragStart={(e) => {
                  e.dataTransfer.setData(mime, JSON.stringify({ kind: s.kind, type: c.type }));
                  e.dataTransfer.effectAllowed = "move";
                }}
                onKeyDown={(e) => {
                  if (e.key === "Enter") onAdd(s.kind, c.type);
                }}
                onDoubleClick={() => onAdd(s.kind, c.type)}
                className={`palette-item kind-${s.kind}`}
              >
                {c.type}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}
