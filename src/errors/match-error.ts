import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * The closed set of error reasons the service can report. Each maps to exactly one
 * gRPC status code; docs/ERRORS.md lists them and a test keeps the two in sync.
 */
export const ERROR_CODES = {
  INVALID_QUERY: GrpcStatus.INVALID_ARGUMENT,
  INVALID_VECTOR: GrpcStatus.INVALID_ARGUMENT,
  DIMENSION_MISMATCH: GrpcStatus.INVALID_ARGUMENT,
  INVALID_TEXT: GrpcStatus.INVALID_ARGUMENT,
  INVALID_K: GrpcStatus.INVALID_ARGUMENT,
  INVALID_FILTER: GrpcStatus.INVALID_ARGUMENT,
  INVALID_DIVERSITY: GrpcStatus.INVALID_ARGUMENT,
  INVALID_CREATOR: GrpcStatus.INVALID_ARGUMENT,
  UNKNOWN_VARIANT: GrpcStatus.INVALID_ARGUMENT,
  INVALID_BODY: GrpcStatus.INVALID_ARGUMENT,
  UNKNOWN_CREATORS: GrpcStatus.NOT_FOUND,
  VERSION_NOT_FOUND: GrpcStatus.NOT_FOUND,
  VERSION_REFUSED: GrpcStatus.FAILED_PRECONDITION,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  TEXT_QUERY_UNSUPPORTED: GrpcStatus.FAILED_PRECONDITION,
  RETRIEVAL_UNSUPPORTED: GrpcStatus.FAILED_PRECONDITION,
  NOT_CONFIGURED: GrpcStatus.FAILED_PRECONDITION,
  INDEX_NOT_READY: GrpcStatus.UNAVAILABLE,
  MODEL_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DATABASE_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  CANCELLED: GrpcStatus.CANCELLED,
  INTERNAL: GrpcStatus.INTERNAL,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Errors that may be shown to callers. `cause` stays server-side (logs only). */
export class MatchError extends Error {
  override readonly name = 'MatchError';
  readonly code: ErrorCode;
  /** Structured data that lets a caller recover (e.g. the unknown ids, the expected dims). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...(options?.details ?? {}) });
  }

  get grpcCode(): GrpcStatus {
    return ERROR_CODES[this.code];
  }
}

export interface WireStatus {
  code: GrpcStatus;
  /** Safe to send: never contains the cause or a stack. */
  message: string;
  reason: ErrorCode;
}

/** The error name, also for DOMExceptions and errors of another realm (not instanceof Error). */
function errorName(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
}

function isAbortError(err: unknown): err is Error {
  const name = errorName(err);
  return name === 'AbortError' || name === 'TimeoutError';
}

/** The one place where anything thrown becomes what goes on the wire. */
export function toGrpcStatus(err: unknown): WireStatus {
  if (err instanceof MatchError) {
    return { code: err.grpcCode, message: err.message, reason: err.code };
  }
  if (isAbortError(err)) {
    return errorName(err) === 'TimeoutError'
      ? { code: GrpcStatus.DEADLINE_EXCEEDED, message: 'deadline exceeded before the search finished', reason: 'DEADLINE_EXCEEDED' }
      : { code: GrpcStatus.CANCELLED, message: 'call cancelled', reason: 'CANCELLED' };
  }
  return { code: GrpcStatus.INTERNAL, message: 'internal error (see server logs)', reason: 'INTERNAL' };
}

/** An AbortSignal's reason as a MatchError (deadline vs. client cancel). */
export function abortReason(signal: AbortSignal): MatchError {
  const reason: unknown = signal.reason;
  if (reason instanceof MatchError) return reason;
  if (errorName(reason) === 'TimeoutError') {
    return new MatchError('DEADLINE_EXCEEDED', 'deadline exceeded before the search finished');
  }
  return new MatchError('CANCELLED', 'call cancelled');
}

/** Throws the signal's reason as a MatchError if it has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}
