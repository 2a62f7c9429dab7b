/** Split by fan (a fan is in exactly one split) and by time (validation and test after a cutoff). */
import { createHash } from 'node:crypto';
import type { Split } from './formats';

export interface FanSplitOptions {
  /** Share of fans in the validation split (early stopping). */
  validationShare: number;
  /** Share of fans in the test split (the release gate's held-out fans). */
  testShare: number;
  /** Salt of the fan hash: a new salt gives a new split. */
  salt: string;
}

export const DEFAULT_FAN_SPLIT: FanSplitOptions = { validationShare: 0.1, testShare: 0.1, salt: 'creator-match-learning' };

/** Deterministic position of a fan in [0, 1). */
export function fanBucket(salt: string, fanId: string): number {
  return createHash('sha256').update(`${salt}:${fanId}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** test if bucket < testShare, validation if < testShare + validationShare, else train. */
export function splitOfFan(fanId: string, opts: FanSplitOptions = DEFAULT_FAN_SPLIT): Split {
  if (!(opts.testShare >= 0 && opts.validationShare >= 0 && opts.testShare + opts.validationShare < 1)) {
    throw new Error(`validation share ${opts.validationShare} + test share ${opts.testShare} must be below 1`);
  }
  const b = fanBucket(opts.salt, fanId);
  if (b < opts.testShare) return 'test';
  if (b < opts.testShare + opts.validationShare) return 'validation';
  return 'train';
}

/** The q-quantile of some times (nearest rank); undefined for none. */
export function timeQuantile(times: readonly number[], q: number): number | undefined {
  if (times.length === 0) return undefined;
  const sorted = [...times].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Whether a record at `time` of a fan in `split` is kept: train fans before the cutoff, validation
 * and test fans at or after it. So nothing a model is trained on comes after what it is judged on.
 */
export function keptByTime(split: Split, time: number, cutoff: number): boolean {
  return split === 'train' ? time < cutoff : time >= cutoff;
}
