export function GroupState({ state }: { state: string }) {
  return <span className={`state ${state}`}>{state}</span>;
}
