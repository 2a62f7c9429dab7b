import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { clean, MissingSourceError, split, wordCount, type Candidate, type Dataset } from './common';

/**
 * WordNet 3.0 (Debian `wordnet-base`, /usr/share/wordnet/data.{noun,verb,adj,adv}; WordNet 3.0
 * licence: free use, copy, modify and distribute with the copyright notice kept).
 *
 * A synset is one document: name = its first lemma, tags = its other lemmas, about = its gloss.
 * Two labellings from WordNet's own metadata:
 * - `wordnet-lexfile`: the lexicographer file of the synset (noun.animal, verb.motion, ...; the 25
 *   noun files except noun.Tops and the 15 verb files).
 * - `wordnet-domain`: the synset's topic domain (its one `;c` pointer: medicine, law, music,
 *   sport, computer science, ...). A leading "(domain)" marker in the gloss is removed, since
 *   it would state the label.
 * Queries, each from a held-out synset that leaves the catalog:
 * - keyword: the synset's lemmas (2-6 words from at least 2 lemmas), e.g. "domestic dog, Canis familiaris";
 * - short: those keyword queries whose words mostly do not occur in the category's catalog text;
 * - long: the synset's gloss (at least 12 words).
 */

export const WORDNET_DIR = '/usr/share/wordnet';

/** lexnames(5WN): the lexicographer file of each lex_filenum. */
const LEXNAMES = [
  'adj.all', 'adj.pert', 'adv.all', 'noun.Tops', 'noun.act', 'noun.animal', 'noun.artifact', 'noun.attribute', 'noun.body',
  'noun.cognition', 'noun.communication', 'noun.event', 'noun.feeling', 'noun.food', 'noun.group', 'noun.location', 'noun.motive',
  'noun.object', 'noun.person', 'noun.phenomenon', 'noun.plant', 'noun.possession', 'noun.process', 'noun.quantity', 'noun.relation',
  'noun.shape', 'noun.state', 'noun.substance', 'noun.time', 'verb.body', 'verb.change', 'verb.cognition', 'verb.communication',
  'verb.competition', 'verb.consumption', 'verb.contact', 'verb.creation', 'verb.emotion', 'verb.motion', 'verb.perception',
  'verb.possession', 'verb.social', 'verb.stative', 'verb.weather', 'adj.ppl',
] as const;

export interface Synset {
  /** "n:00017222" (pos letter of the file + offset). */
  key: string;
  lexname: string;
  lemmas: string[];
  gloss: string;
  /** Keys of the synsets its `;c` (topic domain) pointers name. */
  topics: string[];
}

const POS_FILES = [
  ['n', 'data.noun'],
  ['v', 'data.verb'],
  ['a', 'data.adj'],
  ['r', 'data.adv'],
] as const;

/** Normalised pos letter of a pointer target ('s' satellites live in data.adj). */
const posKey = (p: string): string => (p === 's' ? 'a' : p);

export function readSynsets(dir = WORDNET_DIR): Map<string, Synset> {
  const out = new Map<string, Synset>();
  for (const [pos, file] of POS_FILES) {
    const f = path.join(dir, file);
    if (!existsSync(f)) throw new MissingSourceError(f, 'wordnet-base');
    for (const line of readFileSync(f, 'latin1').split('\n')) {
      if (!/^\d{8} /.test(line)) continue;
      const bar = line.indexOf(' | ');
      const head = (bar < 0 ? line : line.slice(0, bar)).split(' ');
      const gloss = bar < 0 ? '' : clean(line.slice(bar + 3));
      const offset = head[0]!;
      const lexname = LEXNAMES[Number(head[1])] ?? `lex${head[1]}`;
      const wCnt = parseInt(head[3]!, 16);
      const lemmas: string[] = [];
      let i = 4;
      for (let w = 0; w < wCnt; w++, i += 2) lemmas.push(head[i]!.replace(/\(.*\)$/, '').replace(/_/g, ' '));
      const pCnt = Number(head[i]);
      i++;
      const topics: string[] = [];
      for (let p = 0; p < pCnt; p++, i += 4) if (head[i] === ';c') topics.push(`${posKey(head[i + 2]!)}:${head[i + 1]}`);
      out.set(`${pos}:${offset}`, { key: `${pos}:${offset}`, lexname, lemmas, gloss, topics });
    }
  }
  return out;
}

/** 2-6 words from at least two distinct lemmas, joined as a list ("domestic dog, Canis familiaris"). */
function lemmaQuery(s: Synset): string | undefined {
  const seen = new Set<string>();
  const lemmas = s.lemmas.filter((l) => {
    const k = l.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (lemmas.length < 2) return undefined;
  const picked: string[] = [];
  let words = 0;
  for (const l of lemmas) {
    const n = wordCount(l);
    if (words + n > 6) break;
    picked.push(l);
    words += n;
  }
  return picked.length >= 2 && words >= 2 ? picked.join(', ') : undefined;
}

function candidate(s: Synset, category: string, gloss: string): Candidate {
  const [name, ...others] = s.lemmas;
  const c: Candidate = { key: s.key, category, record: { name: name ?? '', about: gloss, tags: others } };
  const short = lemmaQuery(s);
  if (short !== undefined) c.shortQuery = short;
  if (wordCount(gloss) >= 12) c.longQuery = gloss;
  return c;
}

export function wordnetLexfile(seed: number, synsets = readSynsets()): Dataset {
  const cands: Candidate[] = [];
  for (const s of synsets.values()) {
    if (!/^(noun|verb)\./.test(s.lexname) || s.lexname === 'noun.Tops') continue;
    cands.push(candidate(s, s.lexname.replace('.', '_'), s.gloss));
  }
  return split('wordnet-lexfile', 'wordnet', 'WordNet 3.0 synsets labelled by lexicographer file (40 noun/verb files)', cands, {
    seed,
    maxPerCategory: 150,
    queriesPerCategory: 10,
    shortCandidatesPerCategory: 30,
    minPerCategory: 30,
  });
}

export function wordnetDomain(seed: number, synsets = readSynsets()): Dataset {
  const cands: Candidate[] = [];
  for (const s of synsets.values()) {
    if (s.topics.length !== 1) continue;
    const topic = synsets.get(s.topics[0]!);
    if (!topic || !topic.lemmas[0]) continue;
    const category = topic.lemmas[0].toLowerCase().replace(/\s+/g, '_');
    // "(medicine) a ..." states the label: drop a leading parenthesised marker.
    const gloss = clean(s.gloss.replace(/^\([^)]*\)\s*/, ''));
    cands.push(candidate(s, category, gloss));
  }
  return split('wordnet-domain', 'wordnet', 'WordNet 3.0 synsets labelled by topic domain (;c pointer)', cands, {
    seed,
    maxPerCategory: 150,
    queriesPerCategory: 8,
    shortCandidatesPerCategory: 24,
    minPerCategory: 30,
  });
}
