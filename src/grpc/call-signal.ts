import type { Deadline } from '@grpc/grpc-js';
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
