/** Registry of non-English language packs. */
import type { ForeignLanguage, ForeignLanguageSpec } from '../types';
import { de } from './de';
import { es } from './es';
import { fr } from './fr';
import { it } from './it';
import { ja } from './ja';
import { pt } from './pt';

export const LANGUAGE_SPECS: Record<ForeignLanguage, ForeignLanguageSpec> = { es, fr, de, pt, it, ja };

/** Preposition + article contractions applied after slot filling ("su il" → "sul", "à les" → "aux"). */
const CONTRACTIONS: Partial<Record<ForeignLanguage, Record<string, string>>> = {
  es: { 'a el': 'al', 'de el': 'del' },
  fr: { 'à les': 'aux', 'à le': 'au', 'de les': 'des', 'de le': 'du' },
  pt: { 'a a': 'à', 'a o': 'ao', 'a os': 'aos', 'a as': 'às', 'de a': 'da', 'de o': 'do', 'de os': 'dos', 'de as': 'das' },
  it: italianContractions(),
};

function italianContractions(): Record<string, string> {
  const stems: Record<string, string> = { su: 'su', a: 'a', di: 'de' };
  const articles: Record<string, string> = { il: 'l', i: 'i', la: 'lla', lo: 'llo', gli: 'gli', le: 'lle', "l'": "ll'" };
  const out: Record<string, string> = {};
  for (const [prep, stem] of Object.entries(stems)) {
    for (const [article, suffix] of Object.entries(articles)) out[`${prep} ${article}`] = `${stem}${suffix}`;
  }
  return out;
}

const PATTERNS = new Map<ForeignLanguage, ReadonlyArray<readonly [RegExp, string]>>();

function patternsFor(language: ForeignLanguage): ReadonlyArray<readonly [RegExp, string]> {
  let list = PATTERNS.get(language);
  if (!list) {
    list = Object.entries(CONTRACTIONS[language] ?? {}).map(([from, to]) => {
      const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const tail = from.endsWith("'") ? '' : '(?=\\s|$)';
      return [new RegExp(`(^|\\s)${escaped}${tail}`, 'g'), `$1${to}`] as const;
    });
    PATTERNS.set(language, list);
  }
  return list;
}

export function contract(text: string, language: ForeignLanguage): string {
  let out = text;
  for (const [pattern, replacement] of patternsFor(language)) out = out.replace(pattern, replacement);
  return out;
}
