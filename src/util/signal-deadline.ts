/**
 * The deadline behind an AbortSignal, when it has one: a backend that can bound its own work
 * (a database's statement_timeout) reads it; everything else just watches the signal.
 */
const deadlines = new WeakMap<AbortSignal, number>();

/** Records that `signal` fires at `atMs` (epoch milliseconds) at the latest. */
export function setSignalDeadline(signal: AbortSignal, atMs: number): void {
  deadlines.set(signal, atMs);
}

/** Milliseconds left before `signal`'s deadline (0 when past), or undefined without a deadline. */
export function remainingMs(signal: AbortSignal | undefined): number | undefined {
  const at = signal ? deadlines.get(signal) : undefined;
  return at === undefined ? undefined : Math.max(0, at - Date.now());
}
