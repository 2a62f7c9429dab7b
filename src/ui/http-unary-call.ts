import { EventEmitter } from 'node:events';
import { Metadata, type Deadline, type ServerUnaryCall } from '@grpc/grpc-js';

type AuthContext = ReturnType<ServerUnaryCall<unknown, unknown>['getAuthContext']>;

/**
 * What a grpc-js unary handler gets as its `call`, for a request that came over HTTP: the decoded
 * request, the deadline (from `connect-timeout-ms`) and a `cancelled` event when the HTTP client
 * goes away. The handlers of src/grpc use `request`, `getDeadline()` and the `cancelled` event
 * (src/grpc/call-signal.ts); the rest answers like a call without metadata.
 */
export class HttpUnaryCall<Request> extends EventEmitter implements ServerUnaryCall<Request, unknown> {
  cancelled = false;
  readonly metadata = new Metadata();

  constructor(
    readonly request: Request,
    private readonly deadline: Deadline,
    private readonly peer: string,
    private readonly methodPath: string,
    private readonly host: string,
    private readonly secure: boolean,
  ) {
    super();
  }

  /** The HTTP client went away before the answer: the handler's AbortSignal fires. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled');
  }

  getPeer(): string {
    return this.peer;
  }

  sendMetadata(): void {
    // Nothing to send: the HTTP answer has its own headers.
  }

  getDeadline(): Deadline {
    return this.deadline;
  }

  getPath(): string {
    return this.methodPath;
  }

  getHost(): string {
    return this.host;
  }

  getAuthContext(): AuthContext {
    return this.secure ? { transportSecurityType: 'ssl' } : {};
  }

  getMetricsRecorder(): never {
    throw new Error('ORCA metrics are not recorded for calls over HTTP');
  }
}
