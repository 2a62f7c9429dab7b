/**
 * English sentence templates, grouped by voice. Slots (filled by `fill`):
 *   {name} {role} {aRole} {outlet} {anOutlet} {topic} {topic2} {term} {term2} {term3}
 *   {format} {format2} {audience} {perk} {cadence}
 * Person creators use `person` openers, brands/projects use `brand` openers.
 */

export type VoiceId = 'first_person' | 'third_person' | 'casual' | 'formal' | 'terse' | 'enthusiastic';

export interface Voice {
  id: VoiceId;
  person: string[];
  brand: string[];
  body: string[];
  closers: string[];
}

export const VOICES: readonly Voice[] = [
  {
    id: 'first_person',
    person: [
      "I'm {name}, {aRole} who has spent years obsessing over {topic}.",
      'Hi, I am {name} and I make {format} about {topic}.',
      "I'm {aRole} focused on {topic}, especially {term} and {term2}.",
      'My name is {name}; I share {format} on {topic} {cadence}.',
    ],
    brand: [
      'We are {name}, {anOutlet} all about {topic}.',
      'We started {name} to share {format} about {topic}.',
      "{name} is our {outlet}; we cover {topic}, from {term} to {term2}.",
    ],
    body: [
      'I post {format} {cadence}, covering things like {term} and {term2}.',
      'Lately I have been digging into {term} and {term3}.',
      'Most of what I make is for {audience}.',
      'I also dabble in {topic2} when inspiration strikes.',
      'Your support keeps the {format} coming and lets me spend more time on {term}.',
      'I try to keep things honest, practical and a little nerdy about {term2}.',
    ],
    closers: [
      'Members get {perk}.',
      'If that sounds like your thing, I would love to have you here.',
      'Thanks for helping me keep this independent.',
      'Supporters get {perk} and my eternal gratitude.',
    ],
  },
  {
    id: 'third_person',
    person: [
      '{name} is {aRole} known for {format} about {topic}.',
      '{name} has been making {format} on {topic} for almost a decade.',
      'Based somewhere between coffee and deadlines, {name} is {aRole} specializing in {topic}.',
      '{name} is {aRole} whose work centers on {term} and {term2}.',
    ],
    brand: [
      '{name} is {anOutlet} devoted to {topic}.',
      '{name} publishes {format} about {topic} {cadence}.',
      'Founded by a small team, {name} is {anOutlet} covering {term} and {term2}.',
    ],
    body: [
      'New {format} arrive {cadence}, with a focus on {term} and {term3}.',
      'The work is aimed at {audience}.',
      'Past projects have explored {term2}, {term3} and the occasional detour into {topic2}.',
      'Patrons help fund the time that goes into every piece about {term3}.',
      'Expect careful research into {term2} and plenty of {format2}.',
    ],
    closers: [
      'Supporters receive {perk}.',
      'Membership tiers include {perk}.',
      'Every pledge goes straight back into the work.',
    ],
  },
  {
    id: 'casual',
    person: [
      "hey! i'm {name} and i basically never stop talking about {topic} lol",
      "Hey, {name} here. I'm {aRole} and I'm kind of obsessed with {term}.",
      "So I make {format} about {topic}. It's a lot of {term}, honestly.",
    ],
    brand: [
      "Hey, we're {name}! It's {anOutlet} about {topic}, nothing fancy.",
      "{name} started as a tiny side thing about {term} and kind of got out of hand.",
    ],
    body: [
      'Expect {format}, random {term2} tangents, and some chaos.',
      "Sometimes it's {term}, sometimes it's {term3}, always fun.",
      'Mostly for {audience}, but everyone is welcome.',
      "There's new stuff {cadence}-ish, no promises.",
      'Also yes, there is some {topic2} in here now and then.',
    ],
    closers: [
      'Come hang out!',
      "Oh and you get {perk}, which is pretty neat.",
      'Thanks for being here, seriously.',
    ],
  },
  {
    id: 'formal',
    person: [
      '{name} is a professional {role} producing {format} on {topic}.',
      'This page supports the work of {name}, {aRole} with a long-standing interest in {topic}.',
      'I am {aRole} and I produce rigorous, well-structured {format} on {topic}.',
    ],
    brand: [
      '{name} is an independent {outlet} producing {format} on {topic}.',
      'This membership supports {name}, {anOutlet} dedicated to {topic}.',
    ],
    body: [
      'Content is released {cadence} and addresses {term}, {term2} and related subjects.',
      'The material is intended for {audience}.',
      'Particular attention is given to {term} and {term3}.',
      'Member contributions fund research, production and the occasional excursion into {topic2}.',
    ],
    closers: [
      'Members receive {perk}.',
      'All tiers include {perk}.',
      'Thank you for your continued support.',
    ],
  },
  {
    id: 'terse',
    person: [
      '{Role}. {Topic}.',
      '{Topic}: {term}, {term2}, {term3}.',
      '{Format} about {topic}.',
    ],
    brand: [
      '{name}: {topic}.',
      '{Outlet}. {Term}, {term2}, {term3}.',
    ],
    body: [
      'New {format} {cadence}.',
      'Mostly {term}. Some {term2}.',
      'For {audience}.',
      'Occasionally {topic2}.',
    ],
    closers: ['Members get {perk}.', 'No fluff.', 'Thanks.'],
  },
  {
    id: 'enthusiastic',
    person: [
      "Welcome!! I'm {name} and {topic} is my absolute favorite thing in the world!",
      "Hi friends! I'm {aRole} and I can't wait to share my {format} about {topic} with you!",
      '{name} here, and I am SO excited you found my little corner of {topic}!',
    ],
    brand: [
      'Welcome to {name}, the most joyful {outlet} about {topic} on the internet!',
      "This is {name}! We're {anOutlet} and we LOVE {term}!",
    ],
    body: [
      "Every week there's something new: {format}, {term2}, {term3} and so much more!",
      "If you love {term} as much as I do, you're in the right place!",
      'We are building an amazing community of {audience}!',
      'There might even be a little {topic2} sprinkled in!',
    ],
    closers: [
      'Join us and get {perk}!',
      'Thank you, thank you, THANK YOU for your support!',
      "Let's geek out together!",
    ],
  },
];

export const CADENCES = [
  'every week',
  'every Friday',
  'twice a month',
  'most Sundays',
  'once a month',
  'every other Tuesday',
  'a few times a week',
];

/** Replace {slot} placeholders; `{Slot}` (capitalized) capitalizes the value. */
export function fill(template: string, slots: Record<string, string>): string {
  return template.replace(/\{([a-zA-Z0-9]+)\}/g, (_match, key: string) => {
    const direct = slots[key];
    if (direct !== undefined) return direct;
    const lower = key.charAt(0).toLowerCase() + key.slice(1);
    const value = slots[lower];
    if (value === undefined) throw new Error(`unknown template slot {${key}} in: ${template}`);
    return capitalize(value);
  });
}

export function capitalize(text: string): string {
  return text.length === 0 ? text : text.charAt(0).toUpperCase() + text.slice(1);
}

/** "a" / "an" for an English noun phrase. */
export function withArticle(phrase: string): string {
  return /^[aeiouAEIOU]/.test(phrase) && !/^(uni|use|one|Uni)/.test(phrase) ? `an ${phrase}` : `a ${phrase}`;
}
