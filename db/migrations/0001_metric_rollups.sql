CREATE TABLE "metric_rollups" (
	"metric" text NOT NULL,
	"labels" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"avg" double precision NOT NULL,
	"max" double precision NOT NULL,
	CONSTRAINT "metric_rollups_metric_labels_minute_pk" PRIMARY KEY("metric","labels","minute")
);
--> statement-breakpoint
CREATE INDEX "metric_rollups_minute_idx" ON "metric_rollups" USING btree ("minute");