/** Kafka's rule for topic names (kafka.common.internals.Topic.validate); pure, so the browser checks it as you type. */
export const TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

export function topicNameProblem(name: string): string | undefined {
  if (!name) return "enter a name";
  if (name === "." || name === "..") return '"." and ".." are not allowed';
  if (name.length > 249) return "use at most 249 characters";
  if (!TOPIC_NAME.test(name)) return "use only ASCII letters, digits, '.', '_' and '-'";
  return undefined;
}
