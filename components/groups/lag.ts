/**
 * The broker cannot know a group's isolation level, so lag is measured the way Kafka's own tools
 * and UIs measure it on a topic with transactions: against the last stable offset (ListOffsets
 * LATEST with read_committed), which read_uncommitted consumers only pass by an open transaction.
 */
export const LAG_TITLE =
  "Records past the committed offset up to the last stable offset (the log end as read_committed consumers see it): records of transactions still open are not counted until they commit.";

export const LOG_END_TITLE = "The last stable offset: the log end, held back by any transaction still open on the partition.";
