import { ErrorCode } from "../../kafka/errors";
import { Apis } from "../../kafka/messages";
import { self, type BrokerContext } from "./context";
import type { HandlerRegistry } from "./registry";

/** FindCoordinator and the classic group protocol, which the group coordinator implements. */
export function registerGroupHandlers(registry: HandlerRegistry, b: BrokerContext): void {
  const g = b.groups;
  // This broker coordinates every group.
  registry.register(Apis.FindCoordinator, (req, info) =>
    info.apiVersion >= 4 ? { coordinators: req.coordinatorKeys.map((key) => ({ key, ...self(b), errorCode: ErrorCode.NONE, errorMessage: null })) } : { errorCode: ErrorCode.NONE, errorMessage: null, ...self(b) },
  );
  registry.register(Apis.JoinGroup, (req, info) => g.joinGroup(req, info));
  registry.register(Apis.SyncGroup, (req) => g.syncGroup(req));
  registry.register(Apis.Heartbeat, (req) => g.heartbeat(req));
  registry.register(Apis.LeaveGroup, (req, info) => g.leaveGroup(req, info));
  registry.register(Apis.OffsetCommit, (req, info) => g.offsetCommit(req, info));
  registry.register(Apis.OffsetFetch, (req, info) => g.offsetFetch(req, info));
  registry.register(Apis.ListGroups, (req) => g.listGroups(req));
  registry.register(Apis.DescribeGroups, (req) => g.describeGroups(req));
  registry.register(Apis.DeleteGroups, (req) => g.deleteGroups(req));
  registry.register(Apis.OffsetDelete, (req) => g.offsetDelete(req));
}
