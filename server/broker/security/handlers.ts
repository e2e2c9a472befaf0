import type { ApiSpec } from "../../kafka/messages";
import type { ApiName } from "../../kafka/messages.types";
import type { RequestOf, ResponseInputOf } from "../../kafka/protocol";
import { Apis } from "../../kafka/messages";
import type { BrokerSecurity } from "./security";

/** What registering needs of the broker's handler registry. */
export interface Registers {
  register<N extends ApiName>(api: ApiSpec<N>, handler: (req: RequestOf<N>) => ResponseInputOf<N> | Promise<ResponseInputOf<N>>): void;
}

/** The admin APIs of ACLs, SCRAM credentials and client quotas; their authorization is in the table (authorization.ts). */
export function registerSecurityHandlers(registry: Registers, security: BrokerSecurity): void {
  registry.register(Apis.DescribeAcls, (req) => security.describeAcls(req));
  registry.register(Apis.CreateAcls, (req) => security.createAcls(req));
  registry.register(Apis.DeleteAcls, (req) => security.deleteAcls(req));
  registry.register(Apis.DescribeUserScramCredentials, (req) => security.describeUserScramCredentials(req));
  registry.register(Apis.AlterUserScramCredentials, (req) => security.alterUserScramCredentials(req));
  registry.register(Apis.DescribeClientQuotas, (req) => security.describeClientQuotas(req));
  registry.register(Apis.AlterClientQuotas, (req) => security.alterClientQuotas(req));
}
