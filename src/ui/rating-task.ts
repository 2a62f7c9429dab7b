import { parse } from 'csv-parse/sync';
import { MatchError } from '../errors/match-error';
import type { TaskItem } from './api-types';
import { itemIdOf } from './judgments-writer';

/**
 * A rating task as `npm run labels:export` writes it (task.csv; docs/LEARNING.md, "Crowdsourced
 * labels"), read for the workbench's task mode. Required columns: item_id, fan_id, creator_id;
 * the others (fan_text, liked_creators, creator_name, …) are shown to the rater when present.
 * Every item_id must be the item of its (fan, creator) pair, as labels:export makes it, so a
 * judgment recorded against it means what labels:import would read. The gold answers
 * (task.gold.csv) are never read here.
 */

export const MAX_TASK_ITEMS = 200_000;
export const MAX_TASK_BYTES = 64 * 1024 * 1024;

const bad = (where: string, what: string): MatchError => new MatchError('INVALID_BODY', `rating task${where ? ` ${where}` : ''}: ${what}`);

export function parseRatingTask(csv: string): TaskItem[] {
  let records: Array<{ info: { lines: number }; record: Record<string, string> }>;
  try {
    records = parse(csv, { columns: true, info: true, bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'] });
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw bad(e.lines !== undefined ? `line ${e.lines}` : '', `not valid CSV: ${e.message}`);
  }
  if (records.length === 0) throw bad('', 'no items (expected the task.csv of npm run labels:export: a header row with item_id, fan_id, creator_id, …)');
  if (records.length > MAX_TASK_ITEMS) throw bad('', `${records.length} items; at most ${MAX_TASK_ITEMS} are shown (split the task)`);
  const missing = ['item_id', 'fan_id', 'creator_id'].filter((c) => !(c in records[0]!.record));
  if (missing.length) throw bad('', `missing column(s) ${missing.join(', ')} (the header row of labels:export's task.csv)`);
  const seen = new Set<string>();
  return records.map(({ info, record }) => {
    const where = `line ${info.lines}`;
    const get = (c: string): string => record[c] ?? '';
    const item: TaskItem = {
      item_id: get('item_id'),
      fan_id: get('fan_id'),
      query_kind: get('query_kind'),
      fan_text: get('fan_text'),
      liked_creators: get('liked_creators'),
      creator_id: get('creator_id'),
      creator_name: get('creator_name'),
      creator_category: get('creator_category'),
      creator_language: get('creator_language'),
      creator_tags: get('creator_tags').split('|').map((t) => t.trim()).filter(Boolean),
      creator_about: get('creator_about'),
    };
    if (!item.item_id || !item.fan_id || !item.creator_id) throw bad(where, 'item_id, fan_id and creator_id must not be empty');
    if (item.item_id !== itemIdOf(item.fan_id, item.creator_id)) throw bad(where, `item_id ${item.item_id} is not the item of fan ${item.fan_id} and creator ${item.creator_id} (labels:export writes ${itemIdOf(item.fan_id, item.creator_id)})`);
    if (seen.has(item.item_id)) throw bad(where, `item ${item.item_id} appears twice`);
    seen.add(item.item_id);
    return item;
  });
}
