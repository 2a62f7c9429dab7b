/** Why a version was refused: a low-cardinality label (metrics) set where the problem is found. */
export type RefusalReason = 'integrity' | 'missing_files' | 'model' | 'manifest' | 'shape' | 'other';

export const REFUSAL_REASONS: readonly RefusalReason[] = ['integrity', 'missing_files', 'model', 'manifest', 'shape', 'other'];

/** A version that cannot be served, and why. */
export class IndexLoadError extends Error {
  override readonly name = 'IndexLoadError';

  constructor(
    message: string,
    readonly reason: RefusalReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The reason of a load failure: its own when it has one, 'other' for anything unexpected. */
export function refusalReasonOf(err: unknown): RefusalReason {
  return err instanceof IndexLoadError ? err.reason : 'other';
}
