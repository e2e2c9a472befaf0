import type { ComponentDefinition, Interceptor, Sink, Source } from "./component";
import { fileChannelType } from "./channels/file";
import { memoryChannelType } from "./channels/memory";
import { hostInterceptorType, removeHeaderInterceptorType, staticInterceptorType, timestampInterceptorType } from "./interceptors/basic";
import { regexExtractorInterceptorType, regexFilterInterceptorType, searchReplaceInterceptorType, uuidInterceptorType } from "./interceptors/regex";
import { transformInterceptorType } from "./interceptors/transform";
import type { Channel } from "./model";
import { loggerSinkType, nullSinkType } from "./sinks/basic";
import { fileRollSinkType } from "./sinks/file-roll";
import { httpSinkType } from "./sinks/http";
import { postgresSinkType } from "./sinks/postgres";
import { topicSinkType } from "./sinks/topic";
import { execSourceType } from "./sources/exec";
import { httpSourceType } from "./sources/http";
import { netcatSourceType } from "./sources/netcat";
import { postgresCdcSourceType } from "./sources/postgres-cdc/source";
import { seqSourceType } from "./sources/seq";
import { spooldirSourceType } from "./sources/spooldir";
import { syslogTcpSourceType, syslogUdpSourceType } from "./sources/syslog";
import { taildirSourceType } from "./sources/taildir";
import { topicSourceType } from "./sources/topic";

/**
 * Component types by kind, each declared by defineComponent in its own module: our type name
 * first, then the Flume aliases and class names that mean the same component, so a Flume
 * .properties file and our JSON use one registry.
 */
export const sourceTypes: readonly ComponentDefinition<Source>[] = [seqSourceType, httpSourceType, syslogTcpSourceType, syslogUdpSourceType, taildirSourceType, netcatSourceType, postgresCdcSourceType, spooldirSourceType, execSourceType, topicSourceType];

export const channelTypes: readonly ComponentDefinition<Channel>[] = [memoryChannelType, fileChannelType];

export const sinkTypes: readonly ComponentDefinition<Sink>[] = [nullSinkType, loggerSinkType, topicSinkType, fileRollSinkType, httpSinkType, postgresSinkType];

export const interceptorTypes: readonly ComponentDefinition<Interceptor>[] = [
  timestampInterceptorType,
  hostInterceptorType,
  staticInterceptorType,
  removeHeaderInterceptorType,
  regexFilterInterceptorType,
  regexExtractorInterceptorType,
  searchReplaceInterceptorType,
  uuidInterceptorType,
  transformInterceptorType,
];

/** Finds a component by our type name, a Flume alias or a Flume class name (aliases are case-insensitive, as in Flume). */
export function lookup<T>(entries: readonly ComponentDefinition<T>[], type: string): ComponentDefinition<T> | undefined {
  const t = type.toLowerCase();
  return entries.find((e) => e.types.some((x) => x.toLowerCase() === t));
}
