/**
 * Input echoed in error messages and log fields is truncated: a hostile 10 KB id must not become a
 * 200 KB grpc-message (clients stall on huge trailers) or a megabyte log line.
 */
export const MAX_ECHO_CHARS = 80;

/** `text` cut to `max` characters, with the original length when it was cut. */
export function truncateForEcho(text: string, max = MAX_ECHO_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…(${text.length} chars)`;
}

/** An id as shown in a message: JSON-quoted and truncated. */
export function shortId(id: string): string {
  return JSON.stringify(truncateForEcho(id));
}

/** At most `max` values, each truncated, comma-separated, with the count of the rest. */
export function listForEcho(values: readonly string[], max: number, each = 40): string {
  const shown = values.slice(0, max).map((v) => truncateForEcho(v, each)).join(', ');
  return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}

/** Anything (an id that may not be a string, a value from a file) as a short JSON snippet. */
export function showValue(value: unknown, max = MAX_ECHO_CHARS): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(truncateForEcho(value, max)) : String(JSON.stringify(value));
  } catch {
    text = String(typeof value);
  }
  return truncateForEcho(text, max);
}
