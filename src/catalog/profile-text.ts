import type { CreatorRecord } from './creator';

/** Bumped whenever the template changes; recorded in the manifest. */
export const PROFILE_TEXT_TEMPLATE_VERSION = 1;

/**
 * The text embedded for a creator (template v1):
 *
 *   "{name}. {category}. {about} Tags: {tag1}, {tag2}."
 *
 * Category ids have `_`/`-` turned into spaces ("tabletop_rpg" → "tabletop rpg"); empty parts are
 * left out. Everything is whitespace-collapsed.
 */
export function profileText(creator: Pick<CreatorRecord, 'name' | 'about' | 'tags' | 'category'>): string {
  const parts: string[] = [];
  const name = creator.name.trim();
  if (name) parts.push(endSentence(name));
  const category = creator.category.replace(/[_-]+/g, ' ').trim();
  if (category) parts.push(endSentence(category));
  const about = creator.about.trim();
  if (about) parts.push(endSentence(about));
  const tags = creator.tags.map((t) => t.trim()).filter(Boolean);
  if (tags.length > 0) parts.push(`Tags: ${tags.join(', ')}.`);
  return parts.join(' ').replace(/\s+/g, ' ');
}

function endSentence(text: string): string {
  return /[.!?。！？]$/.test(text) ? text : `${text}.`;
}
