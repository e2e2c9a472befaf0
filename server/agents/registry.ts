import type { z } from "zod";
import type { BatchSink, Interceptor, Sink, Source } from "./component";
import { FileChannel, fileChannelSchema } from "./channels/file";
import { MemoryChannel, memoryChannelSchema } from "./channels/memory";
import {
  hostInterceptor,
  hostInterceptorSchema,
  removeHeaderInterceptor,
  removeHeaderInterceptorSchema,
  staticInterceptor,
  staticInterceptorSchema,
  timestampInterceptor,
  timestampInterceptorSchema,
} from "./interceptors/basic";
import {
  regexExtractorInterceptor,
  regexExtractorInterceptorSchema,
  regexFilterInterceptor,
  regexFilterInterceptorSchema,
  searchReplaceInterceptor,
  searchReplaceInterceptorSchema,
  uuidInterceptor,
  uuidInterceptorSchema,
} from "./interceptors/regex";
import { transformInterceptor, transformInterceptorSchema } from "./interceptors/transform";
import type { Channel } from "./model";
import { FileRollSink, fileRollSinkSchema } from "./sinks/file-roll";
import { HttpSink, httpSinkSchema } from "./sinks/http";
import { TopicSink, topicSinkSchema } from "./sinks/topic";
import { LoggerSink, NullSink, loggerSinkSchema, nullSinkSchema } from "./sinks/basic";
import { HttpSource, httpSourceSchema } from "./sources/http";
import { NetcatSource, netcatSourceSchema } from "./sources/netcat";
import { SyslogTcpSource, SyslogUdpSource, syslogTcpSourceSchema, syslogUdpSourceSchema } from "./sources/syslog";
import { TaildirSource, taildirSourceSchema } from "./sources/taildir";
import { SeqSource, seqSourceSchema } from "./sources/seq";
import { PostgresCdcSource, postgresCdcSourceSchema } from "./sources/postgres-cdc";
import { PostgresSink, postgresSinkSchema } from "./sinks/postgres";
import { ExecSource, execSourceSchema } from "./sources/exec";
import { SpooldirSource, spooldirSourceSchema } from "./sources/spooldir";
import { TopicSource, topicSourceSchema } from "./sources/topic";

/**
 * Component types by kind. Each entry lists our type name first, then the Flume aliases and class
 * names that mean the same component, so a Flume .properties file and our JSON use one registry.
 */
interface Entry<T, C> {
  types: readonly string[];
  schema: z.ZodObject;
  create(name: string, config: C, put: BatchSink): T;
}

type AnyConfig = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- each schema validates its own config before create()

export const sourceTypes: Entry<Source, AnyConfig>[] = [
  { types: ["seq", "org.apache.flume.source.SequenceGeneratorSource"], schema: seqSourceSchema, create: (_n, c, put) => new SeqSource(c, put) },
  { types: ["http", "org.apache.flume.source.http.HTTPSource"], schema: httpSourceSchema, create: (_n, c, put) => new HttpSource(c, put) },
  { types: ["syslogtcp", "org.apache.flume.source.SyslogTcpSource"], schema: syslogTcpSourceSchema, create: (_n, c, put) => new SyslogTcpSource(c, put) },
  { types: ["syslogudp", "org.apache.flume.source.SyslogUDPSource"], schema: syslogUdpSourceSchema, create: (_n, c, put) => new SyslogUdpSource(c, put) },
  { types: ["taildir", "org.apache.flume.source.taildir.TaildirSource"], schema: taildirSourceSchema, create: (_n, c, put) => new TaildirSource(c, put) },
  { types: ["netcat", "org.apache.flume.source.NetcatSource"], schema: netcatSourceSchema, create: (_n, c, put) => new NetcatSource(c, put) },
  { types: ["postgres_cdc"], schema: postgresCdcSourceSchema, create: (n, c, put) => new PostgresCdcSource(n, c, put) },
  { types: ["spooldir", "org.apache.flume.source.SpoolDirectorySource"], schema: spooldirSourceSchema, create: (_n, c, put) => new SpooldirSource(c, put) },
  { types: ["exec", "org.apache.flume.source.ExecSource"], schema: execSourceSchema, create: (_n, c, put) => new ExecSource(c, put) },
  { types: ["topic", "org.apache.flume.source.kafka.KafkaSource"], schema: topicSourceSchema, create: (_n, c, put) => new TopicSource(c, put) },
];

export const channelTypes: Entry<Channel, AnyConfig>[] = [
  { types: ["memory", "org.apache.flume.channel.MemoryChannel"], schema: memoryChannelSchema, create: (n, c) => new MemoryChannel(n, c) },
  { types: ["file", "org.apache.flume.channel.file.FileChannel"], schema: fileChannelSchema, create: (n, c) => new FileChannel(n, c) },
];

export const sinkTypes: Entry<Sink, AnyConfig>[] = [
  { types: ["null", "org.apache.flume.sink.NullSink"], schema: nullSinkSchema, create: (_n, c) => new NullSink(c) },
  { types: ["logger", "org.apache.flume.sink.LoggerSink"], schema: loggerSinkSchema, create: (_n, c) => new LoggerSink(c) },
  { types: ["topic", "org.apache.flume.sink.kafka.KafkaSink"], schema: topicSinkSchema, create: (n, c) => new TopicSink(n, c) },
  { types: ["file_roll", "lake", "org.apache.flume.sink.RollingFileSink"], schema: fileRollSinkSchema, create: (_n, c) => new FileRollSink(c) },
  { types: ["http", "org.apache.flume.sink.http.HttpSink"], schema: httpSinkSchema, create: (_n, c) => new HttpSink(c) },
  { types: ["postgres"], schema: postgresSinkSchema, create: (_n, c) => new PostgresSink(c) },
];

export const interceptorTypes: Entry<Interceptor, AnyConfig>[] = [
  { types: ["timestamp", "org.apache.flume.interceptor.TimestampInterceptor$Builder"], schema: timestampInterceptorSchema, create: (_n, c) => timestampInterceptor(c) },
  { types: ["host", "org.apache.flume.interceptor.HostInterceptor$Builder"], schema: hostInterceptorSchema, create: (_n, c) => hostInterceptor(c) },
  { types: ["static", "org.apache.flume.interceptor.StaticInterceptor$Builder"], schema: staticInterceptorSchema, create: (_n, c) => staticInterceptor(c) },
  { types: ["remove_header", "org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder"], schema: removeHeaderInterceptorSchema, create: (_n, c) => removeHeaderInterceptor(c) },
  { types: ["regex_filter", "org.apache.flume.interceptor.RegexFilteringInterceptor$Builder"], schema: regexFilterInterceptorSchema, create: (_n, c) => regexFilterInterceptor(c) },
  { types: ["regex_extractor", "org.apache.flume.interceptor.RegexExtractorInterceptor$Builder"], schema: regexExtractorInterceptorSchema, create: (_n, c) => regexExtractorInterceptor(c) },
  { types: ["search_replace", "org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder"], schema: searchReplaceInterceptorSchema, create: (_n, c) => searchReplaceInterceptor(c) },
  { types: ["uuid", "org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder"], schema: uuidInterceptorSchema, create: (_n, c) => uuidInterceptor(c) },
  { types: ["transform"], schema: transformInterceptorSchema, create: (_n, c) => transformInterceptor(c) },
];

/** Finds a component by our type name, a Flume alias or a Flume class name (aliases are case-insensitive, as in Flume). */
export function lookup<T>(entries: Entry<T, AnyConfig>[], type: string): Entry<T, AnyConfig> | undefined {
  const t = type.toLowerCase();
  return entries.find((e) => e.types.some((x) => x.toLowerCase() === t));
}
