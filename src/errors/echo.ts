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
