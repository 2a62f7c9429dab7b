/** Serialization and end-to-end dataset generation (in memory or streamed to files). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreatorIndex, generateCreators } from './creators';
import { generateFans } from './fans';
import type { CreatorRecord, FanRecord } from './types';

export interface DatasetOptions {
  creators: number;
  fans: number;
  seed: number;
  /** Share of non-English fans (unset: the default ~8%). */
  foreignShare?: number;
}

export const DEFAULT_OPTIONS: DatasetOptions = { creators: 1200, fans: 240, seed: 42 };
export const DEFAULT_CREATORS_FILE = 'sample-creators.jsonl';
export const DEFAULT_FANS_FILE = 'sample-fans.jsonl';

/** One JSONL line (no newline), with a fixed field order. */
export function creatorLine(c: CreatorRecord): string {
  return JSON.stringify({
    id: c.id,
    name: c.name,
    about: c.about,
    tags: c.tags,
    category: c.category,
    language: c.language,
    is_nsfw: c.is_nsfw,
  });
}

export function fanLine(f: FanRecord): string {
  return JSON.stringify({
    fan_id: f.fan_id,
    interest_text: f.interest_text,
    expected_categories: f.expected_categories,
    language: f.language,
    follows: f.follows,
  });
}

function fanOptions(options: DatasetOptions): { count: number; seed: number; foreignShare?: number } {
  return { count: options.fans, seed: options.seed, ...(options.foreignShare !== undefined ? { foreignShare: options.foreignShare } : {}) };
}

/** Whole dataset in memory (fine for tests / small counts). */
export function generateDataset(options: DatasetOptions): { creators: CreatorRecord[]; fans: FanRecord[] } {
  const index = new CreatorIndex();
  const creators: CreatorRecord[] = [];
  for (const c of generateCreators({ count: options.creators, seed: options.seed })) {
    creators.push(c);
    index.add(c);
  }
  return { creators, fans: generateFans(fanOptions(options), index) };
}

/** File contents exactly as the CLI writes them. */
export function renderDataset(options: DatasetOptions): { creators: string; fans: string } {
  const { creators, fans } = generateDataset(options);
  return {
    creators: creators.map((c) => `${creatorLine(c)}\n`).join(''),
    fans: fans.map((f) => `${fanLine(f)}\n`).join(''),
  };
}

class LineWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  write(line: string): void {
    this.buffer.push(line, '\n');
    this.size += line.length + 1;
    if (this.size >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.buffer.length > 0) fs.writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

export interface WriteResult {
  creatorsPath: string;
  fansPath: string;
  creators: number;
  fans: number;
}

/** Stream creators to disk (constant memory apart from an id index), then write fans. */
export function writeDataset(
  options: DatasetOptions,
  outDir: string,
  creatorsFile = DEFAULT_CREATORS_FILE,
  fansFile = DEFAULT_FANS_FILE,
): WriteResult {
  fs.mkdirSync(outDir, { recursive: true });
  const creatorsPath = path.join(outDir, creatorsFile);
  const fansPath = path.join(outDir, fansFile);
  const index = new CreatorIndex();
  const creatorOut = new LineWriter(creatorsPath);
  let written = 0;
  try {
    for (const c of generateCreators({ count: options.creators, seed: options.seed })) {
      creatorOut.write(creatorLine(c));
      index.add(c);
      written++;
    }
  } finally {
    creatorOut.close();
  }
  const fans = generateFans(fanOptions(options), index);
  const fanOut = new LineWriter(fansPath);
  try {
    for (const f of fans) fanOut.write(fanLine(f));
  } finally {
    fanOut.close();
  }
  return { creatorsPath, fansPath, creators: written, fans: fans.length };
}
