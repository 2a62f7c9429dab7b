import http2 from 'node:http2';

/** How long after its deadline a stream may take to deliver its DEADLINE_EXCEEDED trailers. */
export const DEADLINE_GRACE_MS = 1000;

/**
 * Ends a streaming call that outlived its deadline. grpc-js answers an expired call with
 * DEADLINE_EXCEEDED trailers, but it sends them after the responses already queued on the
 * stream; a client that stopped reading (its flow-control window full) never gets them, and the
 * stream stays open on the server (holding a slot of max_concurrent_streams and its buffers)
 * forever. So if the stream is still open `graceMs` after the deadline, it is reset
 * (RST_STREAM CANCEL): the client sees the call end, and the server frees it.
 *
 * grpc-js has no public API for the underlying HTTP/2 stream; it is found through the call's
 * interceptor chain (`call.call.nextCall….stream`, @grpc/grpc-js 1.14). Where it is not found,
 * nothing is reset (the call still stops its own work: its signal fired). Returns a dispose that
 * stops watching the signal; a reset already scheduled still happens (the handler may return
 * before its stream has closed: that is the case this is for).
 */
export function resetAfterDeadline(call: object, signal: AbortSignal, graceMs = DEADLINE_GRACE_MS): () => void {
  const onAbort = (): void => {
    if ((signal.reason as { name?: string } | undefined)?.name !== 'TimeoutError') return;
    const timer = setTimeout(() => {
      const stream = http2StreamOf(call);
      if (stream && !stream.closed && !stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    }, graceMs);
    timer.unref();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** The HTTP/2 stream under a grpc-js server call, if it can be found. */
export function http2StreamOf(call: object): http2.ServerHttp2Stream | undefined {
  let c = (call as { call?: unknown }).call;
  for (let depth = 0; c && typeof c === 'object' && depth < 16; depth++) {
    const stream = (c as { stream?: unknown }).stream;
    if (isHttp2Stream(stream)) return stream;
    c = (c as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

function isHttp2Stream(value: unknown): value is http2.ServerHttp2Stream {
  return typeof value === 'object' && value !== null && typeof (value as http2.ServerHttp2Stream).close === 'function' && 'rstCode' in value && 'session' in value;
}
