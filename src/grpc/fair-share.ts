import { abortReason } from '../errors/match-error';

/**
 * At most `perConnection` calls of one connection do work at a time (Match calls and BatchMatch
 * items alike); the others wait in that connection's FIFO queue, and a call cancelled or past its
 * deadline while it waits leaves the queue without running.
 *
 * Why: all calls share one event loop and a few thread-pool threads, served in arrival order. One
 * caller with 100 expensive calls in flight on its connection (MATCH_MAX_CONCURRENT_STREAMS) would
 * put a hundred searches and re-ranks in front of everybody else's small Match. With this, another
 * connection's call waits for at most `perConnection` of them. The unit is the connection (a
 * caller that opens more connections gets more share, up to MATCH_MAX_CONNECTIONS), not the remote
 * address: clients behind one load balancer or NAT would otherwise share one budget.
 */
export class FairShare {
  private readonly peers = new Map<string, { active: number; waiting: Array<() => void> }>();

  constructor(readonly perConnection: number) {}

  async run<T>(peer: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    if (!(this.perConnection > 0)) return fn();
    let state = this.peers.get(peer);
    if (!state) {
      state = { active: 0, waiting: [] };
      this.peers.set(peer, state);
    }
    const s = state;
    if (s.active >= this.perConnection) {
      await new Promise<void>((resolve, reject) => {
        const grant = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = s.waiting.indexOf(grant);
          if (i >= 0) s.waiting.splice(i, 1);
          this.forget(peer, s);
          reject(abortReason(signal!));
        };
        if (signal?.aborted) return reject(abortReason(signal));
        signal?.addEventListener('abort', onAbort, { once: true });
        s.waiting.push(grant);
      });
    } else {
      s.active++;
    }
    try {
      // The slot may have been granted just before the call was cancelled (the grant and the
      // abort in one turn of the event loop): a cancelled call gives its slot on without running.
      if (signal?.aborted) throw abortReason(signal);
      return await fn();
    } finally {
      const next = s.waiting.shift();
      if (next) next(); // the slot passes on: `active` stays
      else {
        s.active--;
        this.forget(peer, s);
      }
    }
  }

  /** Calls of a connection doing work now (tests, metrics). */
  active(peer: string): number {
    return this.peers.get(peer)?.active ?? 0;
  }

  private forget(peer: string, s: { active: number; waiting: unknown[] }): void {
    if (s.active === 0 && s.waiting.length === 0 && this.peers.get(peer) === s) this.peers.delete(peer);
  }
}
