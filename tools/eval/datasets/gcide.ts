import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { clean, MissingSourceError, split, wordCount, type Candidate, type Dataset } from './common';

/**
 * GCIDE, the GNU Collaborative International Dictionary of English (Debian `dict-gcide`,
 * /usr/share/dictd/gcide.dict.dz; GPL-2+). Mostly Webster's Revised Unabridged Dictionary (1913).
 *
 * A dictionary sense that carries a subject label, "2. (Zool.) A genus of echinoderms ...", is one
 * document: name = its headword (or the sub-entry's "{Sea urchin}"), about = the definition
 * without the label; the category is the label (Zool., Bot., Med., Law, Naut., Mus., ...; Geom. is
 * merged into Math. and Mach. into Mech.). Senses whose source marker is WordNet are skipped, so
 * the set is independent of the WordNet sets. Quotations and bracketed notes are dropped.
 * Queries, each from a held-out sense that leaves the catalog:
 * - keyword: a definition of 2-6 words (Webster often defines by a synonym: "A hedgehog.",
 *   "The sea urchin.", "To infatuate.");
 * - short: those keyword queries whose words mostly do not occur in the category's catalog text;
 * - long: a definition of at least 12 words.
 */

export const GCIDE_FILE = '/usr/share/dictd/gcide.dict.dz';

const MERGE: Record<string, string> = { geom: 'math', mach: 'mech' };

/** Labels kept: those with enough senses (decided by counts, see the README). */
const MIN_SENSES = 120;

/** ["o] -> o, [=a] -> a, [ae] -> ae: GCIDE's ASCII markup of accents and ligatures. */
const unmark = (s: string): string => s.replace(/\[[-"=.'`^~,;]*([A-Za-z]{1,2})\]/g, '$1');

const LABEL = /\(([A-Z][a-z]+\.?)\)/;

interface Sense {
  key: string;
  name: string;
  label: string;
  text: string;
}

export function readSenses(file = GCIDE_FILE): Sense[] {
  if (!existsSync(file)) throw new MissingSourceError(file, 'dict-gcide');
  const all = gunzipSync(readFileSync(file)).toString('latin1').split('\n');
  const senses: Sense[] = [];
  let headword = '';
  let chunk: string[] = [];
  let entry = 0;
  const flush = (marker: string): void => {
    const lines = chunk;
    chunk = [];
    if (lines.length === 0 || !headword || /WordNet/i.test(marker)) return;
    const indent = (lines[0]!.match(/^ */) ?? [''])[0].length;
    if (indent >= 8) return; // a quotation
    // [Obs.], [R.] and etymologies go first, so that "(Gr.)" inside one is not taken for a label.
    let text = unmark(lines.join(' ')).replace(/\[[^\]]*\]/g, ' ');
    const m = LABEL.exec(text);
    if (!m || m.index > 80) return;
    const raw = m[1]!.replace(/\.$/, '').toLowerCase();
    const label = MERGE[raw] ?? raw;
    let name = headword;
    const sub = /^\s*\{([^}]+)\}/.exec(text);
    if (sub && sub.index + sub[0].length <= m.index) name = sub[1]!;
    text = text.slice(m.index + m[0].length);
    text = clean(
      text
        .replace(/^[,:;.\s]+/, '')
        .replace(/--[A-Z][\w. ]*$/, ' ') // trailing "--Shak."
        .replace(/[{}]/g, '')
        .replace(/\([a-z]\)/g, ' '),
    );
    if (wordCount(text) < 2) return;
    senses.push({ key: `${entry}:${senses.length}`, name: clean(unmark(name).replace(/[`"*']/g, '')), label, text });
  };
  for (const line of all) {
    if (line.length > 0 && line[0] !== ' ') {
      flush('');
      entry++;
      const bs = line.indexOf(' \\');
      headword = bs > 0 && !line.startsWith('00-database') ? line.slice(0, bs) : '';
      chunk = [line.replace(/^[^\\]*\\[^\\]*\\,?/, '   ')];
      continue;
    }
    const marker = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (marker) {
      flush(marker[1]!);
      continue;
    }
    if (line.trim() === '') {
      // a blank line ends a chunk only if the next one starts a new sense or quotation
      if (chunk.length > 0) flush('');
      continue;
    }
    chunk.push(line);
  }
  flush('');
  return senses;
}

export function gcide(seed: number, file = GCIDE_FILE): Dataset {
  const senses = readSenses(file);
  const counts = new Map<string, number>();
  for (const s of senses) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  const cands: Candidate[] = [];
  for (const s of senses) {
    if ((counts.get(s.label) ?? 0) < MIN_SENSES) continue;
    const n = wordCount(s.text);
    const c: Candidate = { key: s.key, category: s.label, record: { name: s.name, about: s.text, tags: [] } };
    // "See Oxide.", "Same as Tertiary." are cross-references, not paraphrases
    if (n >= 2 && n <= 6 && !/^(see|same as|alt\.|pl\.|of)\b/i.test(s.text)) c.shortQuery = s.text.replace(/[.;,]+$/, '');
    if (n >= 12) c.longQuery = s.text;
    cands.push(c);
  }
  return split('gcide', 'gcide', 'GCIDE (Webster 1913) senses labelled by subject label', cands, {
    seed,
    maxPerCategory: 250,
    queriesPerCategory: 12,
    shortCandidatesPerCategory: 50,
    minPerCategory: 60,
  });
}
