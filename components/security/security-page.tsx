"use client";
import { useCluster } from "@/components/clusters/cluster-picker";
import { useIsAdmin } from "@/components/roles";
import { trpc } from "@/components/trpc";
import { Card, ErrorNote, Loading, PageHeader, Time } from "@/components/ui";
import { AccessCheck, AclsCard } from "./acls";
import { QuotasCard } from "./quotas";
import { UsersCard } from "./users";
import "./security.css";

/** A part the cluster does not serve: why, instead of the table. */
function Unsupported({ title, reason }: { title: string; reason: string }) {
  return (
    <Card title={title}>
      <p className="warn-note" role="note">
        {reason}
      </p>
    </Card>
  );
}

export function SecurityPage() {
  const cluster = useCluster();
  const admin = useIsAdmin();
  const overview = trpc.security.overview.useQuery({ cluster }, { refetchInterval: 10_000, placeholderData: (prev) => prev });
  const o = overview.data;
  return (
    <>
      <PageHeader
        title="Security"
        subtitle={
          <>
            ACLs, SASL/SCRAM users and client quotas of cluster {cluster}
            {o && (
              <>
                {" "}
                · updated <Time at={overview.dataUpdatedAt} />
              </>
            )}
            {!admin && " · read-only (admins change these)"}
          </>
        }
      />
      <ErrorNote error={overview.error} retry={() => void overview.refetch()} />
      {overview.isLoading && <Loading label="Reading ACLs, users and quotas…" />}
      {o && (
        <>
          {o.acls.ok ? (
            <>
              <AclsCard cluster={cluster} acls={o.acls.items} admin={admin} />
              <AccessCheck cluster={cluster} />
            </>
          ) : (
            <Unsupported title="ACLs" reason={o.acls.reason} />
          )}
          {o.users.ok ? <UsersCard cluster={cluster} users={o.users.items} admin={admin} /> : <Unsupported title="SASL/SCRAM users" reason={o.users.reason} />}
          {o.quotas.ok ? <QuotasCard cluster={cluster} quotas={o.quotas.items} admin={admin} /> : <Unsupported title="Client quotas" reason={o.quotas.reason} />}
        </>
      )}
    </>
  );
}
