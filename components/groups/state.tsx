export function GroupState({ state }: { state: string }) {
  return <span className={`state ${state}`}>{state}</span>;
}

/** The group id from its URL segment; an id that is not valid percent-encoding is taken as written. */
export function groupParam(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
