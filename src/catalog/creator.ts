import { z } from 'zod';

/** One creator as read from the builder's input (JSONL line or CSV row). */
export interface CreatorRecord {
  id: string;
  name: string;
  about: string;
  tags: string[];
  category: string;
  language: string;
  is_nsfw: boolean;
  /** Bring-your-own embedding (all lines or none). */
  vector?: number[];
}

/** What the service keeps per creator (no vector, no long text). */
export interface CreatorProfile {
  id: string;
  name: string;
  category: string;
  tags: string[];
  language: string;
  is_nsfw: boolean;
}

/** Category and language values are compared case-insensitively: normalise once. */
export const normaliseKey = (value: string): string => value.trim().toLowerCase();

const MAX_ID_LENGTH = 256;

const creatorSchema = z.object({
  id: z
    .string({ error: 'id is required and must be a string' })
    .trim()
    .min(1, 'id must not be empty')
    .max(MAX_ID_LENGTH, `id must be at most ${MAX_ID_LENGTH} characters`),
  name: z.string({ error: 'name must be a string' }).default(''),
  about: z.string({ error: 'about must be a string' }).default(''),
  tags: z.array(z.string({ error: 'tags must be strings' }), { error: 'tags must be an array of strings' }).default([]),
  category: z.string({ error: 'category must be a string' }).default('').transform(normaliseKey),
  language: z.string({ error: 'language must be a string' }).default('').transform(normaliseKey),
  is_nsfw: z.boolean({ error: 'is_nsfw must be true or false' }).default(false),
  vector: z
    .array(z.number({ error: 'vector values must be numbers' }).finite('vector values must be finite'), {
      error: 'vector must be an array of numbers',
    })
    .min(1, 'vector must not be empty')
    .optional(),
});

export type ParseResult = { ok: true; record: CreatorRecord } | { ok: false; reason: string };

/** Validates one already-decoded object. Nulls count as absent. */
export function parseCreator(value: unknown): ParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'expected a JSON object' };
  }
  const cleaned: Record<string, unknown> = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
  // A valid vector (the common case, hundreds of numbers) is checked by this loop instead of zod,
  // which costs as much as the JSON.parse of the line; anything else goes through zod for its message.
  const provided = cleaned.vector;
  if (provided !== undefined && isFiniteNumbers(provided)) {
    delete cleaned.vector;
    const rest = creatorSchema.safeParse(cleaned);
    if (rest.success) {
      const { vector: _none, ...fields } = rest.data;
      return { ok: true, record: { ...fields, vector: provided } };
    }
    cleaned.vector = provided;
  }
  const parsed = creatorSchema.safeParse(cleaned);
  if (!parsed.success) {
    const describe = (i: z.core.$ZodIssue): string => {
      const where = i.path.join('.');
      return !where || i.message.startsWith(String(i.path[0])) ? i.message : `${where}: ${i.message}`;
    };
    return { ok: false, reason: parsed.error.issues.map(describe).join('; ') };
  }
  const { vector, ...rest } = parsed.data;
  return { ok: true, record: vector === undefined ? rest : { ...rest, vector } };
}

/** What the schema's `vector` accepts: a non-empty array of finite numbers. */
function isFiniteNumbers(value: unknown): value is number[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  }
  return true;
}

/** Parses one JSONL line (without its newline). */
export function parseCreatorLine(line: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  return parseCreator(value);
}

export function toProfile(record: CreatorRecord): CreatorProfile {
  const { id, name, category, tags, language, is_nsfw } = record;
  return { id, name, category, tags, language, is_nsfw };
}
