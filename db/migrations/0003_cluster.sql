CREATE TABLE "cluster_brokers" (
	"node_id" integer PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"rack" text,
	"incarnation" bigint DEFAULT 1 NOT NULL,
	"lease_expires_at" timestamp with time zone NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cluster_controller" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"cluster_id" text NOT NULL,
	"node_id" integer,
	"epoch" bigint DEFAULT 0 NOT NULL,
	"lease_expires_at" timestamp with time zone,
	"metadata_version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "cluster_controller_single_row" CHECK ("cluster_controller"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "cluster_partitions" (
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"replicas" integer[] NOT NULL,
	"leader" integer NOT NULL,
	"leader_epoch" integer DEFAULT 0 NOT NULL,
	"isr" integer[] NOT NULL,
	"partition_epoch" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "cluster_partitions_topic_partition_pk" PRIMARY KEY("topic","partition")
);
--> statement-breakpoint
CREATE TABLE "cluster_topic_configs" (
	"topic" text NOT NULL,
	"name" text NOT NULL,
	"value" text NOT NULL,
	CONSTRAINT "cluster_topic_configs_topic_name_pk" PRIMARY KEY("topic","name")
);
--> statement-breakpoint
CREATE TABLE "cluster_topics" (
	"name" text PRIMARY KEY NOT NULL,
	"topic_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cluster_topics_topic_id_unique" UNIQUE("topic_id")
);
--> statement-breakpoint
ALTER TABLE "cluster_partitions" ADD CONSTRAINT "cluster_partitions_topic_cluster_topics_name_fk" FOREIGN KEY ("topic") REFERENCES "public"."cluster_topics"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cluster_topic_configs" ADD CONSTRAINT "cluster_topic_configs_topic_cluster_topics_name_fk" FOREIGN KEY ("topic") REFERENCES "public"."cluster_topics"("name") ON DELETE cascade ON UPDATE no action;