import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * A/B variants: several named indexes (each its own versioned index directory and model) served at
 * once. A fan is assigned deterministically: sha256(salt + ":" + fan_id) mapped to [0, 1) and
 * matched against the cumulative traffic shares, so the same fan always sees the same variant
 * for a given salt, and a new salt reshuffles everyone.
 */
export interface Variant {
  name: string;
  indexDir: string;
  /** Share of fans in [0, 1]; the shares sum to 1. */
  traffic: number;
}

export interface Experiment {
  name: string;
  salt: string;
  variants: readonly Variant[];
}

const fileSchema = z
  .object({
    experiment: z.string().min(1),
    salt: z.string().min(1),
    variants: z
      .array(
        z.object({
          name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'variant names are lowercase letters, digits, "_" or "-" (max 32)'),
          indexDir: z.string().min(1),
          traffic: z.number().min(0).max(1),
        }),
      )
      .min(1),
  })
  .superRefine((e, ctx) => {
    const sum = e.variants.reduce((s, v) => s + v.traffic, 0);
    if (Math.abs(sum - 1) > 1e-9) ctx.addIssue({ code: 'custom', message: `traffic shares must sum to 1, they sum to ${sum}` });
    const names = new Set(e.variants.map((v) => v.name));
    if (names.size !== e.variants.length) ctx.addIssue({ code: 'custom', message: 'variant names must be unique' });
  });

export class ExperimentConfigError extends Error {
  override readonly name = 'ExperimentConfigError';
}

export function parseExperiment(raw: unknown, source = 'experiment'): Experiment {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ExperimentConfigError(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  }
  return { name: parsed.data.experiment, salt: parsed.data.salt, variants: parsed.data.variants };
}

export function loadExperiment(file: string): Experiment {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ExperimentConfigError(`cannot read the variants file ${file}: ${(err as Error).message}`);
  }
  return parseExperiment(raw, file);
}

/** The single-variant setup used without a variants file. */
export function defaultExperiment(indexDir: string): Experiment {
  return { name: 'none', salt: 'none', variants: [{ name: 'default', indexDir, traffic: 1 }] };
}

/** Deterministic position of a fan in [0, 1) for a salt. */
export function bucket(salt: string, fanId: string): number {
  return createHash('sha256').update(`${salt}:${fanId}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The variant for a request: the one it names, else by fan_id bucket, else (no fan_id) the
 * first variant (the control). Returns undefined for an unknown explicit name.
 */
export function assignVariant(experiment: Experiment, fanId: string, explicit: string): Variant | undefined {
  if (explicit) return experiment.variants.find((v) => v.name === explicit);
  if (!fanId) return experiment.variants[0];
  const b = bucket(experiment.salt, fanId);
  let acc = 0;
  for (const v of experiment.variants) {
    acc += v.traffic;
    if (b < acc) return v;
  }
  return experiment.variants[experiment.variants.length - 1];
}
