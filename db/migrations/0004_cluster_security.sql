CREATE TABLE "cluster_acls" (
	"resource_type" integer NOT NULL,
	"resource_name" text NOT NULL,
	"pattern_type" integer NOT NULL,
	"principal" text NOT NULL,
	"host" text NOT NULL,
	"operation" integer NOT NULL,
	"permission" integer NOT NULL,
	CONSTRAINT "cluster_acls_pk" PRIMARY KEY("resource_type","resource_name","pattern_type","principal","host","operation","permission")
);
--> statement-breakpoint
CREATE TABLE "cluster_client_quotas" (
	"entity" jsonb PRIMARY KEY NOT NULL,
	"values" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cluster_internal_users" (
	"node_id" integer PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"credentials" jsonb NOT NULL,
	CONSTRAINT "cluster_internal_users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
CREATE TABLE "cluster_scram_credentials" (
	"username" text NOT NULL,
	"mechanism" text NOT NULL,
	"salt" text NOT NULL,
	"iterations" integer NOT NULL,
	"stored_key" text NOT NULL,
	"server_key" text NOT NULL,
	CONSTRAINT "cluster_scram_credentials_username_mechanism_pk" PRIMARY KEY("username","mechanism")
);
--> statement-breakpoint
CREATE TABLE "cluster_security" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"seeded" boolean DEFAULT false NOT NULL,
	CONSTRAINT "cluster_security_single_row" CHECK ("cluster_security"."id" = 1)
);
