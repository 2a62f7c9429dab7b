import type { Deadline } from '@grpc/grpc-js';
import { setMaxListeners } from 'node:events';
import { setSignalDeadline } from '../util/signal-deadline';

/** What every grpc-js server call offers (unary and streaming alike). */
interface ServerSurfaceCall {
  on(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
  getDeadline(): Deadline;
}

/**
 * An AbortSignal that fires when the call is cancelled by the client (reason: AbortError) or
 * its deadline passes (reason: TimeoutError). `dispose()` clears the deadline timer.
 */
export function callSignal(call: ServerSurfaceCall): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  // One call's work listens on its signal from many places at once (a BatchMatch stream's items
  // in flight, each waiting for its connection's fair share or a model run): more than Node's
  // default of 10 is the design, not a leak (each listener is removed when its wait ends). The
  // bound stays, well above a stream's window of 32 items, so a real leak still warns.
  setMaxListeners(256, controller.signal);
  const onCancel = (): void => {
    if (!controller.signal.aborted) controller.abort(new DOMException('call cancelled by the client', 'AbortError'));
  };
  call.on('cancelled', onCancel);
  let timer: NodeJS.Timeout | undefined;
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() - Date.now() : Number.isFinite(deadline) ? Number(deadline) - Date.now() : Infinity;
  if (Number.isFinite(ms)) {
    setSignalDeadline(controller.signal, Date.now() + ms);
    const fire = (): void => {
      if (!controller.signal.aborted) controller.abort(new DOMException('deadline exceeded', 'TimeoutError'));
    };
    if (ms <= 0) fire();
    else timer = setTimeout(fire, Math.min(ms, 2 ** 31 - 1)).unref();
  }
  return {
    signal: controller.signal,
    dispose() {
      if (timer) clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
    },
  };
}
