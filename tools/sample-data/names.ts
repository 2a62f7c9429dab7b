/** Creator display names: real-sounding people, brand titles and online handles. */
import type { Rng } from '../common/prng';
import type { CategorySpec } from './types';

const FIRST_NAMES = [
  'Maya', 'Liam', 'Sofia', 'Noah', 'Aisha', 'Kenji', 'Priya', 'Mateo', 'Chloe', 'Omar',
  'Hannah', 'Diego', 'Yuki', 'Amara', 'Lucas', 'Ingrid', 'Ravi', 'Elena', 'Tomás', 'Zoe',
  'Kwame', 'Freya', 'Jonah', 'Leila', 'Arjun', 'Camille', 'Mina', 'Oscar', 'Nadia', 'Felix',
  'Grace', 'Hugo', 'Imani', 'Jun', 'Kira', 'Luca', 'Marta', 'Niko', 'Olivia', 'Pablo',
  'Quinn', 'Rosa', 'Sam', 'Tariq', 'Uma', 'Vera', 'Wes', 'Ximena', 'Yara', 'Zane',
  'Ada', 'Ben', 'Cora', 'Dev', 'Eli', 'Fatima', 'Gus', 'Hana', 'Ivan', 'June',
];

const LAST_NAMES = [
  'Chen', 'Okafor', 'Rossi', 'Nakamura', 'García', 'Müller', 'Patel', 'Silva', 'Dubois', 'Kowalski',
  'Haddad', 'Johansson', 'Kim', 'Mensah', 'O’Brien', 'Novak', 'Tanaka', 'Fernández', 'Schmidt', 'Nguyen',
  'Lopez', 'Ibrahim', 'Moreau', 'Costa', 'Park', 'Walsh', 'Andersen', 'Reyes', 'Sato', 'Adeyemi',
  'Bianchi', 'Carter', 'Duarte', 'Ellis', 'Fischer', 'Gonzaga', 'Hughes', 'Iverson', 'Jensen', 'Lind',
];

const BRAND_SUFFIXES = [
  'Diaries', 'Lab', 'Club', 'Collective', 'Workshop', 'Society', 'Project', 'House', 'Corner',
  'Studio', 'Guild', 'Sessions', 'Chronicles', 'Den', 'Hour', 'Notes', 'Co.', 'Factory',
];

const ADJECTIVES = [
  'Midnight', 'Tiny', 'Brave', 'Curious', 'Golden', 'Crooked', 'Quiet', 'Wild', 'Rusty', 'Neon',
  'Lucky', 'Hidden', 'Little', 'Electric', 'Wandering', 'Salty', 'Cosmic', 'Humble',
];

const CAMEL_TAILS = ['Forge', 'Craft', 'Works', 'Hub', 'Nest', 'Loop', 'Lab', 'Verse', 'Cast', 'Byte', 'Box', 'Wave'];

export type NameKind = 'person' | 'brand';

export interface CreatorName {
  name: string;
  kind: NameKind;
}

function compact(word: string): string {
  return word.replace(/[^A-Za-z0-9]/g, '');
}

export function personName(rng: Rng): string {
  const first = rng.pick(FIRST_NAMES);
  if (rng.chance(0.12)) return `${first} ${rng.pick(LAST_NAMES).charAt(0)}.`;
  return `${first} ${rng.pick(LAST_NAMES)}`;
}

/** Pick a display name; brand names draw on the category's own name words. */
export function creatorName(rng: Rng, spec: CategorySpec): CreatorName {
  const word = rng.pick(spec.nameWords);
  const style = rng.int(0, 9);
  switch (style) {
    case 0:
    case 1:
    case 2:
    case 3:
      return { name: personName(rng), kind: 'person' };
    case 4:
      return { name: `The ${word} ${rng.pick(BRAND_SUFFIXES)}`, kind: 'brand' };
    case 5:
      return { name: `${rng.pick(ADJECTIVES)} ${word}`, kind: 'brand' };
    case 6:
      return { name: `${compact(word)}${rng.pick(CAMEL_TAILS)}`, kind: 'brand' };
    case 7:
      return { name: `${rng.pick(FIRST_NAMES)}'s ${word} ${rng.pick(BRAND_SUFFIXES)}`, kind: 'brand' };
    case 8: {
      const handle = `${compact(word).toLowerCase()}_${rng.pick(FIRST_NAMES).toLowerCase()}`;
      return { name: rng.chance(0.5) ? handle : `${handle}${rng.int(2, 99)}`, kind: 'person' };
    }
    default:
      return { name: `${personName(rng)} ${rng.pick(['Makes', 'Creates', 'Official', 'HQ'])}`, kind: 'person' };
  }
}
