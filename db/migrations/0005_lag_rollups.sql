CREATE TABLE "lag_rollups" (
	"cluster" text NOT NULL,
	"group_id" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"last" double precision NOT NULL,
	"max" double precision NOT NULL,
	CONSTRAINT "lag_rollups_cluster_group_id_minute_pk" PRIMARY KEY("cluster","group_id","minute")
);
--> statement-breakpoint
CREATE INDEX "lag_rollups_minute_idx" ON "lag_rollups" USING btree ("minute");