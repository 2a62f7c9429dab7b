import type { Catalog } from '../catalog/catalog';
import type { CreatorHit } from './api-types';

/**
 * "Find a creator by name or id" for the workbench's liked-creators field: a bounded scan of the
 * serving catalog's names (lower-cased once per catalog and extended when IndexAdmin adds labels;
 * retired labels are skipped at query time). Ranked: exact id, id prefix, name prefix, a word of
 * the name starting with the query, then the name containing it; ties by name.
 */

export const MAX_SEARCH_LIMIT = 50;
export const MAX_SEARCH_CHARS = 100;

interface NameTable {
  ids: string[];
  names: string[];
  lower: string[];
}

const tables = new WeakMap<Catalog, NameTable>();

function tableOf(catalog: Catalog): NameTable {
  let t = tables.get(catalog);
  if (!t) tables.set(catalog, (t = { ids: [], names: [], lower: [] }));
  for (let label = t.ids.length; label < catalog.labelCount; label++) {
    const p = catalog.profile(label);
    t.ids.push(p.id);
    t.names.push(p.name);
    t.lower.push(p.name.toLowerCase());
  }
  return t;
}

export function searchCreators(catalog: Catalog, query: string, limit: number): CreatorHit[] {
  const q = query.trim().toLowerCase().slice(0, MAX_SEARCH_CHARS);
  const n = Math.max(1, Math.min(MAX_SEARCH_LIMIT, Math.floor(limit)));
  if (!q) return [];
  const t = tableOf(catalog);
  const scored: Array<{ label: number; rank: number }> = [];
  for (let label = 0; label < t.ids.length; label++) {
    if (!catalog.isLive(label)) continue;
    const id = t.ids[label]!.toLowerCase();
    const name = t.lower[label]!;
    let rank: number;
    if (id === q) rank = 0;
    else if (id.startsWith(q)) rank = 1;
    else if (name.startsWith(q)) rank = 2;
    else {
      const at = name.indexOf(q);
      if (at < 0) continue;
      rank = /[\s\p{P}]/u.test(name[at - 1] ?? '') ? 3 : 4;
    }
    scored.push({ label, rank });
  }
  scored.sort((a, b) => a.rank - b.rank || t.lower[a.label]!.localeCompare(t.lower[b.label]!) || a.label - b.label);
  return scored.slice(0, n).map(({ label }) => {
    const p = catalog.profile(label);
    return { creator_id: p.id, name: p.name, category: p.category, language: p.language };
  });
}
