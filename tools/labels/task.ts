/**
 * Crowdsourced relevance labels (docs/LEARNING.md, "Crowdsourced labels").
 *
 * Export: for each fan, the top candidates of one or more index versions (pooled, as the service
 * ranks them) become rating items. `task.csv` goes to the raters; `task.gold.csv` (the known
 * answers of the gold items) stays with you.
 *
 * Import: raters' answer CSVs (`item_id,rater_id,grade`), aggregated by majority vote and
 * Dawid–Skene into graded judgments (`npm run eval -- --judgments`).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { readCreators } from '../../src/catalog/creator-file';
import { mulberry32 } from '../../src/util/mulberry32';
import { readFans, readJudgments, type Fan } from '../eval/fans';
import { BadLines } from '../learning/formats';
import { embedWithModelOf, openServing, readVersionCreators, resolveVersion, type CreatorRow } from '../learning/version-io';
import { argmax, countsByItem, dawidSkene, fleissKappa, majorityVote, raterReport, type DawidSkeneResult, type FleissKappa, type Rating, type RaterGold } from './aggregate';

export const GRADES = 3;
export const GRADE_SCALE = '0 = not relevant, 1 = somewhat relevant, 2 = very relevant';

/** Columns of task.csv, in order. */
export const TASK_COLUMNS = [
  'item_id',
  'fan_id',
  'query_kind',
  'fan_text',
  'liked_creators',
  'creator_id',
  'creator_name',
  'creator_category',
  'creator_language',
  'creator_tags',
  'creator_about',
  'raters',
  'grade_scale',
] as const;

/** Stable item id of a (fan, creator) pair: the same pair gets the same id in every export. */
export const itemId = (fanId: string, creatorId: string): string => `it_${createHash('sha256').update(`${fanId}\u0000${creatorId}`).digest('hex').slice(0, 16)}`;

export interface ExportOptions {
  indexDir: string;
  /** Versions whose top candidates are pooled (default: CURRENT only). */
  versions?: string[];
  fansFile: string;
  out: string;
  perFan: number;
  raters: number;
  goldShare: number;
  /** Judgments file of known answers (fan_id, creator_id, grade) for gold items. */
  goldFile?: string;
  /** Creator input file, for the `about` text (the index keeps no about). */
  creatorsFile?: string;
  seed: number;
  modelsDir?: string;
}

export interface ExportReport {
  items: number;
  fans: number;
  gold: number;
  /** Gold items by known grade. */
  goldByGrade: number[];
  versions: string[];
  files: { task: string; gold: string };
  skippedFans: Array<{ fanId: string; reason: string }>;
}

export const goldPathOf = (taskCsv: string): string => path.join(path.dirname(taskCsv), `${path.basename(taskCsv, path.extname(taskCsv))}.gold.csv`);

/** Known grade of an item from a fan's expected_categories / relevant_creator_ids: 2 or 0. */
function knownFromFan(fan: Fan, c: CreatorRow): number | undefined {
  if (!fan.expectedCategories?.length && !fan.relevantCreatorIds?.length) return undefined;
  return fan.expectedCategories?.includes(c.category) || fan.relevantCreatorIds?.includes(c.id) ? 2 : 0;
}

export async function exportTask(opts: ExportOptions): Promise<ExportReport> {
  const fans = await readFans(opts.fansFile);
  const versions = opts.versions?.length ? opts.versions : [await resolveVersion(opts.indexDir)];
  const { creators } = await readVersionCreators(opts.indexDir, versions[0]);
  const byId = new Map(creators.map((c) => [c.id, c]));
  const about = new Map<string, string>();
  if (opts.creatorsFile) for (const r of (await readCreators(opts.creatorsFile)).records) about.set(r.id, r.about);
  const gold = opts.goldFile ? await readJudgments(opts.goldFile) : undefined;

  // Pool the candidates of every version.
  const pooled = new Map<string, Set<string>>();
  const skippedFans: ExportReport['skippedFans'] = [];
  for (const version of versions) {
    const s = await openServing(opts.indexDir, version);
    try {
      const textFans = fans.filter((f) => f.text);
      const vectors = await embedWithModelOf(s.manifest, textFans.map((f) => f.text!), opts.modelsDir ? { modelsDir: opts.modelsDir } : {});
      const textVector = new Map(textFans.map((f, i) => [f.fanId, vectors[i]!]));
      for (const fan of fans) {
        const exclude = fan.text ? [] : (fan.follows ?? []);
        const raw = fan.text ? textVector.get(fan.fanId) : fan.follows?.length ? await s.likeVector(fan.follows) : undefined;
        if (!raw) {
          if (version === versions[0]) skippedFans.push({ fanId: fan.fanId, reason: fan.text || fan.follows?.length ? 'none of its followed creators is in the index' : 'no interest_text or follows' });
          continue;
        }
        const ids = await s.search(s.adapter ? s.adapter.apply(raw) : raw, opts.perFan, exclude);
        let set = pooled.get(fan.fanId);
        if (!set) pooled.set(fan.fanId, (set = new Set()));
        for (const id of ids) set.add(id);
      }
    } finally {
      await s.close();
    }
  }

  interface Item {
    id: string;
    fan: Fan;
    creator: CreatorRow;
    known: number | undefined;
  }
  const items: Item[] = [];
  for (const fan of fans) {
    for (const creatorId of pooled.get(fan.fanId) ?? []) {
      const creator = byId.get(creatorId);
      if (!creator) continue;
      const known = gold?.get(fan.fanId)?.get(creatorId) ?? knownFromFan(fan, creator);
      items.push({ id: itemId(fan.fanId, creatorId), fan, creator, known });
    }
  }
  // Gold: a seeded sample of the items whose answer is known, balanced between relevant and not.
  const rand = mulberry32(opts.seed >>> 0);
  const wanted = Math.round(opts.goldShare * items.length);
  const known = items.filter((i) => i.known !== undefined);
  if (wanted > 0 && known.length === 0) {
    throw new Error('no item has a known answer for gold: pass --gold FILE (judgments JSONL) or fans with expected_categories / relevant_creator_ids, or --gold-share 0');
  }
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const byGrade = new Map<number, Item[]>();
  for (const i of shuffle([...known])) {
    const list = byGrade.get(i.known!) ?? [];
    list.push(i);
    byGrade.set(i.known!, list);
  }
  const goldItems = new Set<string>();
  const grades = [...byGrade.keys()].sort();
  for (let round = 0; goldItems.size < Math.min(wanted, known.length); round++) {
    for (const g of grades) {
      const next = byGrade.get(g)![round];
      if (next && goldItems.size < wanted) goldItems.add(next.id);
    }
  }
  const goldByGrade = new Array<number>(GRADES).fill(0);
  for (const i of items) if (goldItems.has(i.id)) goldByGrade[Math.min(GRADES - 1, i.known!)]!++;

  const liked = (fan: Fan): string =>
    (fan.text ? [] : (fan.follows ?? []))
      .map((id) => byId.get(id))
      .filter((c): c is CreatorRow => c !== undefined)
      .map((c) => `${c.name} (${c.category})`)
      .join('; ');
  // Rows in a seeded order (gold items are not recognisable by position).
  const rows = shuffle([...items]).map((i) => ({
    item_id: i.id,
    fan_id: i.fan.fanId,
    query_kind: i.fan.text ? 'text' : 'follows',
    fan_text: i.fan.text ?? '',
    liked_creators: liked(i.fan),
    creator_id: i.creator.id,
    creator_name: i.creator.name,
    creator_category: i.creator.category,
    creator_language: i.creator.language,
    creator_tags: i.creator.tags.join('|'),
    creator_about: about.get(i.creator.id) ?? '',
    raters: opts.raters,
    grade_scale: GRADE_SCALE,
  }));
  const goldPath = goldPathOf(opts.out);
  await fs.mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
  await fs.writeFile(opts.out, stringify(rows, { header: true, columns: [...TASK_COLUMNS] }));
  await fs.writeFile(
    goldPath,
    stringify(
      items.filter((i) => goldItems.has(i.id)).map((i) => ({ item_id: i.id, grade: i.known })),
      { header: true, columns: ['item_id', 'grade'] },
    ),
  );
  return { items: items.length, fans: pooled.size, gold: goldItems.size, goldByGrade, versions, files: { task: opts.out, gold: goldPath }, skippedFans };
}

export interface TaskItem {
  itemId: string;
  fanId: string;
  creatorId: string;
}

interface CsvRecord {
  line: number;
  record: Record<string, string>;
  /** The row has more or fewer fields than the header. */
  wrongFieldCount: boolean;
}

/** Parses a CSV with a header row; a malformed file is an error naming the line. */
export async function readCsv(file: string, required: readonly string[]): Promise<CsvRecord[]> {
  const text = await fs.readFile(file, 'utf8').catch((err: unknown) => {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  });
  let parsed: Array<{ info: { lines: number; invalid_field_length: number }; record: Record<string, string> }>;
  try {
    parsed = parse(text, { columns: true, info: true, bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'] });
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new Error(`${file}${e.lines !== undefined ? ` line ${e.lines}` : ''}: not valid CSV: ${e.message}`, { cause: err });
  }
  const header = text.split(/\r?\n/, 1)[0]!.replace(/^\uFEFF/, '');
  const columns = parse(header + '\n', { trim: true })[0];
  const missing = required.filter((c) => !columns?.includes(c));
  if (missing.length) throw new Error(`${file}: missing column(s) ${missing.join(', ')} (the header row must have ${required.join(', ')})`);
  return parsed.map((p) => ({ line: p.info.lines, record: p.record, wrongFieldCount: p.info.invalid_field_length > 0 }));
}

export async function readTask(file: string): Promise<Map<string, TaskItem>> {
  const out = new Map<string, TaskItem>();
  for (const { line, record } of await readCsv(file, ['item_id', 'fan_id', 'creator_id'])) {
    const item = { itemId: record.item_id ?? '', fanId: record.fan_id ?? '', creatorId: record.creator_id ?? '' };
    if (!item.itemId || !item.fanId || !item.creatorId) throw new Error(`${file} line ${line}: item_id, fan_id and creator_id must not be empty`);
    if (out.has(item.itemId)) throw new Error(`${file} line ${line}: item ${item.itemId} appears twice`);
    out.set(item.itemId, item);
  }
  return out;
}

const parseGrade = (raw: string | undefined): number | undefined => {
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined;
  const g = Number(raw);
  return g >= 0 && g < GRADES ? g : undefined;
};

export async function readGold(file: string, task: ReadonlyMap<string, TaskItem>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const { line, record } of await readCsv(file, ['item_id', 'grade'])) {
    const g = parseGrade(record.grade);
    if (g === undefined) throw new Error(`${file} line ${line}: grade must be 0, 1 or 2`);
    if (!task.has(record.item_id ?? '')) throw new Error(`${file} line ${line}: item ${record.item_id} is not in the task`);
    out.set(record.item_id!, g);
  }
  return out;
}

export interface ImportOptions {
  task: string;
  answers: string[];
  out: string;
  /** Known answers (default: the task's .gold.csv next to it, if present). */
  gold?: string;
  method: 'dawid-skene' | 'majority';
  /** Items with fewer ratings are left out of the judgments. */
  minRatings: number;
  smoothing: number;
}

export interface ImportReport {
  items: number;
  ratedItems: number;
  ratings: number;
  raters: number;
  bad: { count: number; first: Array<{ line: number; reason: string }> };
  method: ImportOptions['method'];
  kappa: FleissKappa;
  raterReport: RaterGold[];
  dawidSkene: { iterations: number; converged: boolean; priors: number[]; logLikelihood: number };
  /** Share of items where majority vote and Dawid–Skene agree. */
  methodsAgree: number;
  /** Judgments written, by grade; items left out for too few ratings. */
  written: number[];
  tooFewRatings: number;
  gold: { items: number; majorityAccuracy: number | null; dawidSkeneAccuracy: number | null };
}

/** Reads answers (file:line in reasons), aggregates, writes judgments JSONL. */
export async function importAnswers(opts: ImportOptions): Promise<ImportReport> {
  const task = await readTask(opts.task);
  const goldFile = opts.gold ?? goldPathOf(opts.task);
  const gold = opts.gold !== undefined || (await fs.stat(goldFile).then(() => true, () => false)) ? await readGold(goldFile, task) : new Map<string, number>();
  const bad = new BadLines();
  const ratings: Rating[] = [];
  const seen = new Map<string, string>();
  for (const file of opts.answers) {
    for (const { line, record, wrongFieldCount } of await readCsv(file, ['item_id', 'rater_id', 'grade'])) {
      const where = `${path.basename(file)} line ${line}`;
      if (wrongFieldCount) {
        bad.add(line, `${where}: wrong number of fields (the header has item_id, rater_id, grade, …)`);
        continue;
      }
      const item = record.item_id ?? '';
      const rater = record.rater_id ?? '';
      const grade = parseGrade(record.grade);
      if (!task.has(item)) bad.add(line, `${where}: item ${JSON.stringify(item)} is not in the task`);
      else if (!rater) bad.add(line, `${where}: rater_id is empty`);
      else if (grade === undefined) bad.add(line, `${where}: grade ${JSON.stringify(record.grade ?? '')} is not 0, 1 or 2`);
      else {
        const key = `${rater}\u0000${item}`;
        const first = seen.get(key);
        if (first !== undefined) bad.add(line, `${where}: rater ${rater} already rated ${item} (${first}); the first rating counts`);
        else {
          seen.set(key, where);
          ratings.push({ item, rater, grade });
        }
      }
    }
  }
  if (ratings.length === 0) throw new Error(`no usable rating in ${opts.answers.join(', ')} (${bad.count} bad lines${bad.first[0] ? `, first: ${bad.first[0].reason}` : ''})`);
  const counts = countsByItem(ratings, GRADES);
  const kappa = fleissKappa(counts, GRADES);
  const majority = majorityVote(counts);
  const ds: DawidSkeneResult = dawidSkene(ratings, { classes: GRADES, smoothing: opts.smoothing });
  let agree = 0;
  for (const [item, m] of majority) if (argmax(ds.posteriors.get(item)!) === m.grade) agree++;
  const goldAcc = (pick: (item: string) => number): number | null => {
    const rated = [...gold.keys()].filter((i) => counts.has(i));
    return rated.length ? rated.filter((i) => pick(i) === gold.get(i)).length / rated.length : null;
  };

  const written = new Array<number>(GRADES).fill(0);
  let tooFewRatings = 0;
  const lines: string[] = [];
  for (const [item, m] of [...majority].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (m.ratings < opts.minRatings) {
      tooFewRatings++;
      continue;
    }
    const t = task.get(item)!;
    const posterior = ds.posteriors.get(item)!;
    const aggregated = opts.method === 'majority' ? m.grade : argmax(posterior);
    const known = gold.get(item);
    const grade = known ?? aggregated;
    written[grade]!++;
    lines.push(
      JSON.stringify({
        fan_id: t.fanId,
        creator_id: t.creatorId,
        grade,
        item_id: item,
        method: known !== undefined ? 'gold' : opts.method,
        ratings: m.ratings,
        agreement: Number(m.agreement.toFixed(4)),
        posterior: posterior.map((p) => Number(p.toFixed(4))),
      }),
    );
  }
  await fs.mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
  await fs.writeFile(opts.out, lines.map((l) => l + '\n').join(''));
  return {
    items: task.size,
    ratedItems: counts.size,
    ratings: ratings.length,
    raters: new Set(ratings.map((r) => r.rater)).size,
    bad: bad.toJSON(),
    method: opts.method,
    kappa,
    raterReport: raterReport(ratings, gold, ds),
    dawidSkene: { iterations: ds.iterations, converged: ds.converged, priors: ds.priors, logLikelihood: ds.logLikelihood },
    methodsAgree: majority.size ? agree / majority.size : 0,
    written,
    tooFewRatings,
    gold: { items: gold.size, majorityAccuracy: goldAcc((i) => majority.get(i)!.grade), dawidSkeneAccuracy: goldAcc((i) => argmax(ds.posteriors.get(i)!)) },
  };
}

const f = (x: number | null, digits = 3): string => (x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

export function formatImportReport(r: ImportReport): string {
  const lines = [
    `ratings    ${r.ratings} by ${r.raters} raters on ${r.ratedItems} of ${r.items} items; ${r.bad.count} bad lines`,
    ...r.bad.first.slice(0, 10).map((b) => `bad line   ${b.reason}`),
    `agreement  Fleiss' kappa ${f(r.kappa.kappa)} (observed ${f(r.kappa.observed)}, chance ${f(r.kappa.expected)}, ${r.kappa.items} items with 2+ ratings)`,
    `methods    Dawid-Skene ${r.dawidSkene.converged ? 'converged' : 'did not converge'} after ${r.dawidSkene.iterations} iterations; agrees with majority vote on ${(100 * r.methodsAgree).toFixed(1)}% of items`,
    `gold       ${r.gold.items} items; accuracy of majority vote ${f(r.gold.majorityAccuracy)}, of Dawid-Skene ${f(r.gold.dawidSkeneAccuracy)}`,
    '',
    `${'rater'.padEnd(20)}${'ratings'.padStart(9)}${'gold'.padStart(7)}${'gold acc.'.padStart(11)}${'gold MAE'.padStart(10)}${'DS acc.'.padStart(9)}`,
    ...r.raterReport.map((x) => `${x.rater.padEnd(20)}${String(x.ratings).padStart(9)}${String(x.goldRated).padStart(7)}${f(x.goldAccuracy).padStart(11)}${f(x.goldMeanAbsError).padStart(10)}${f(x.estimatedAccuracy).padStart(9)}`),
    '',
    `judgments  ${r.written.reduce((a, b) => a + b, 0)} written (${r.written.map((n, g) => `grade ${g}: ${n}`).join(', ')}), method ${r.method}; ${r.tooFewRatings} items with too few ratings left out`,
  ];
  return lines.join('\n');
}
