ALTER TABLE "metric_rollups" ADD COLUMN "cluster" text DEFAULT 'embedded' NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_rollups" DROP CONSTRAINT "metric_rollups_metric_labels_minute_pk";--> statement-breakpoint
ALTER TABLE "metric_rollups" ADD CONSTRAINT "metric_rollups_cluster_metric_labels_minute_pk" PRIMARY KEY("cluster","metric","labels","minute");
