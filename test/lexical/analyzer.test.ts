import fc from 'fast-check';
import { analyzeDocument, analyzeQuery } from '../../src/lexical/analyzer';
import { documentLanguage, SHARED_STOP, stem } from '../../src/lexical/languages';
import { foldText, MAX_TOKEN_CHARS, tokenize } from '../../src/lexical/tokenizer';

const texts = (s: string): string[] => tokenize(s).map((t) => t.text);
const firstVariants = (q: string): string[] => analyzeQuery(q).words.map((w) => w[0]!);

describe('tokenizer', () => {
  it('folds case, accents, NFKC forms and undecomposable Latin letters', () => {
    expect(texts('Crème BRÛLÉE à la Café — naïve ﬁnance ＡＢＣ１２３')).toEqual(['creme', 'brulee', 'a', 'la', 'cafe', 'naive', 'finance', 'abc123']);
    expect(texts('Straße ÆSIR Œuvre Øresund Łódź')).toEqual(['strasse', 'aesir', 'oeuvre', 'oresund', 'lodz']);
  });

  it('keeps marks of non-Latin scripts', () => {
    expect(texts('Привет йод ёлка')).toEqual(['привет', 'йод', 'ёлка']);
    expect(texts('हिन्दी भाषा')).toEqual(['हिन्दी', 'भाषा']);
    expect(texts('Ἀθῆναι')).toEqual(['αθηναι']);
    expect(texts('がガ')).toEqual(['がガ']); // dakuten kept: not かカ
  });

  it('splits Japanese into character bigrams and script changes into tokens', () => {
    expect(texts('写真を探しています')).toEqual(['写真', '真を', 'を探', '探し', 'して', 'てい', 'いま', 'ます']);
    expect(texts('こんにちは、GouacheWaveです。')).toEqual(['こん', 'んに', 'にち', 'ちは', 'gouachewave', 'です']);
    expect(texts('猫 and 犬')).toEqual(['猫', 'and', '犬']);
    expect(texts('한국어 텍스트')).toEqual(['한국어', '텍스트']); // Hangul has spaces: words
  });

  it('treats emoji as tokens and drops variation selectors, ZWJ and punctuation', () => {
    expect(texts('🎮 gaming 👨‍👩‍👧 ❤️ 18+ lo-fi')).toEqual(['🎮', 'gaming', '👨', '👩', '👧', '❤', '18', 'lo', 'fi']);
    expect(texts('!!! ... ---')).toEqual([]);
  });

  it('survives control characters, lone surrogates and format characters', () => {
    expect(texts('a\u0000b\u0007c\td\u200Be')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(texts('\uD800x \uDC00y z\uD83D')).toEqual(['x', 'y', 'z']);
    expect(texts('infor\u00ADmation \uFEFFbom')).toEqual(['information', 'bom']);
  });

  it('cuts long tokens without splitting a surrogate pair', () => {
    expect(texts('x'.repeat(500))).toEqual(['x'.repeat(MAX_TOKEN_CHARS)]);
    const pairs = texts('a' + '𝒜'.repeat(100))[0]!;
    expect(pairs.length).toBeLessThanOrEqual(MAX_TOKEN_CHARS);
    expect(pairs).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('fold is idempotent', () => {
    for (const s of ['Crème brûlée', 'Straße', 'がガ', 'ＡＢＣ', 'Ἀθῆναι']) expect(foldText(foldText(s))).toBe(foldText(s));
  });
});

describe('languages', () => {
  it('maps creator languages to stemmer languages', () => {
    expect(documentLanguage('fr')).toBe('fr');
    expect(documentLanguage(' PT-br ')).toBe('pt');
    expect(documentLanguage('ja')).toBe('en');
    expect(documentLanguage('')).toBe('en');
    expect(documentLanguage(undefined)).toBe('en');
  });

  it('stems with Porter2 for English and Snowball for the others', () => {
    expect(stem('podcasts', 'en')).toBe('podcast');
    expect(stem('knitting', 'en')).toBe('knit');
    expect(stem('dying', 'en')).toBe('die'); // Porter2, not the original Porter ("dy")
    expect(stem('recetas', 'es')).toBe('recet');
    expect(stem('recettes', 'fr')).toBe('recet');
    expect(stem('kriminalfalle', 'de')).toBe('kriminalfall');
    expect(stem('ricette', 'it')).toBe('ricett');
    expect(stem('receitas', 'pt')).toBe('receit');
    expect(stem('mp3', 'en')).toBe('mp3'); // digits: not stemmed
    expect(stem('写真', 'en')).toBe('写真');
  });

  it('shares function words of several languages but keeps English content words', () => {
    for (const w of ['de', 'la', 'que', 'se', 'un', 'des', 'il']) expect(SHARED_STOP.has(w)).toBe(true);
    for (const w of ['ai', 'os', 'era', 'son', 'lo', 'war', 'hat', 'die', 'art', 'solo']) expect(SHARED_STOP.has(w)).toBe(false);
  });
});

describe('analyzeDocument', () => {
  it('English: stop words out, Porter2 stems', () => {
    expect(analyzeDocument("I'm a personal trainer; it's all about deadlifts and marathon training.", 'en')).toEqual({
      terms: ['person', 'trainer', 'deadlift', 'marathon', 'train'],
      length: 5,
    });
  });

  it('Spanish: its stop words out, English and Spanish stems', () => {
    const d = analyzeDocument('Me encantan las recetas de pan de masa madre', 'es');
    expect(d.terms).toEqual(['encantan', 'encant', 'receta', 'recet', 'pan', 'masa', 'mas', 'madr']);
    expect(d.length).toBe(5);
  });

  it('French, German, Italian, Portuguese', () => {
    expect(analyzeDocument("Des fiches d'exercices pour la préparation du bac", 'fr').terms).toEqual(['fich', 'exercic', 'prepar', 'bac']);
    expect(analyzeDocument('Ich mache Podcasts über echte Kriminalfälle', 'de').terms).toEqual(['mach', 'podcast', 'echt', 'kriminalfall']);
    expect(analyzeDocument('Schemi gratuiti per l’uncinetto e la maglia', 'it').terms).toEqual(['schemi', 'schem', 'gratuiti', 'gratu', 'uncinetto', 'uncinett', 'maglia', 'magl']);
    expect(analyzeDocument('Aulas de matemática para o ENEM', 'pt').terms).toEqual(['aula', 'aul', 'matematica', 'matemat', 'enem']);
  });

  it('Japanese: bigrams; Latin words stemmed as English', () => {
    expect(analyzeDocument('フィルム写真 photos', 'ja').terms).toEqual(['フィ', 'ィル', 'ルム', 'ム写', '写真', 'photo']);
  });

  it('keeps the raw tokens when everything is a stop word, and symbols when there is no token', () => {
    expect(analyzeDocument('The Who', 'en')).toEqual({ terms: ['the', 'who'], length: 2 });
    expect(analyzeDocument('de la que', 'es')).toEqual({ terms: ['de', 'la', 'que'], length: 3 });
    expect(analyzeDocument('!!! ???', 'en')).toEqual({ terms: ['!!!', '???'], length: 2 });
    expect(analyzeDocument('🎉', 'en')).toEqual({ terms: ['🎉'], length: 1 });
  });

  it('blank text gives no term', () => {
    expect(analyzeDocument('', 'en').terms).toEqual([]);
    expect(analyzeDocument(' \t\n\u0000\u200B ', 'en').terms).toEqual([]);
  });

  it('handles 10 KB texts quickly and mixed scripts', () => {
    const big = 'Handmade ceramics, pottery wheel tutorials 🎨 陶芸 and glazes! '.repeat(170);
    expect(big.length).toBeGreaterThan(10_000);
    const started = performance.now();
    const d = analyzeDocument(big, 'en');
    expect(performance.now() - started).toBeLessThan(500);
    expect(d.terms.length).toBe(d.length);
    expect(new Set(d.terms)).toEqual(new Set(['handmad', 'ceram', 'potteri', 'wheel', 'tutori', '🎨', '陶芸', 'glaze']));
  });
});

describe('analyzeQuery', () => {
  it('English query: English stems only, no language guessed', () => {
    expect(analyzeQuery("I'd love to support a game dev who focuses on pixel art platformers")).toEqual({
      words: [['love'], ['support'], ['game'], ['dev'], ['focus'], ['pixel'], ['art'], ['platform']],
      languages: [],
    });
  });

  it('keeps English words that are stop words elsewhere', () => {
    expect(firstVariants('war history era')).toEqual(['war', 'histori', 'era']);
    expect(firstVariants('hat knitting patterns')).toEqual(['hat', 'knit', 'pattern']);
    expect(firstVariants('AI art on Linux os')).toEqual(['ai', 'art', 'linux', 'os']);
  });

  it('firm guess (2+ stop words) drops the language stop words and adds its stems', () => {
    const q = analyzeQuery('Wo finde ich unabhängige Musik?');
    expect(q.languages).toEqual(['de']);
    expect(q.words).toEqual([['find'], ['unabhangig', 'unabhang'], ['musik']]);
    const fr = analyzeQuery('où trouver des recettes faciles pour le soir ?');
    expect(fr.languages).toEqual(['fr']);
    expect(fr.words.map((w) => w[0])).toEqual(['trouver', 'recett', 'facil', 'soir']);
    expect(fr.words[1]).toEqual(['recett', 'recet']);
  });

  it('accent-free query stems like the accented document', () => {
    const doc = analyzeDocument('Kriminalfälle', 'de').terms;
    const q = analyzeQuery('podcasts uber kriminalfalle').words.flat();
    expect(q).toEqual(expect.arrayContaining(doc));
  });

  it('Japanese query: bigrams', () => {
    expect(analyzeQuery('フィルム写真').words).toEqual([['フィ'], ['ィル'], ['ルム'], ['ム写'], ['写真']]);
  });

  it('dedupes words and falls back to raw tokens', () => {
    expect(analyzeQuery('podcast podcasts PODCASTING').words).toEqual([['podcast']]);
    expect(analyzeQuery('the who').words).toEqual([['the'], ['who']]);
    expect(analyzeQuery('').words).toEqual([]);
    expect(analyzeQuery('?!').words).toEqual([['?!']]);
  });
});

describe('any string (property)', () => {
  const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
  const blank = (s: string): boolean => s.replace(LONE, ' ').replace(/[\s\p{Cc}\p{Cf}]/gu, '') === '';
  const special = fc.constantFrom('\uD800', '\uDC00', '\u0000', '\u200D', '\uFE0F', '\u0301', 'ß', 'İ', 'ﬁ', '🎉', '写真', 'é', ' ', '-', "'", 'de', 'the');
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.array(fc.oneof(special, fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 20 }).map((parts) => parts.join('')),
  );

  it('never throws; a non-blank text gives non-empty terms, document and query alike', () => {
    fc.assert(
      fc.property(text, fc.constantFrom(undefined, 'en', 'es', 'fr', 'de', 'it', 'pt', 'ja', 'xx'), (s, lang) => {
        const doc = analyzeDocument(s, lang);
        const query = analyzeQuery(s);
        expect(doc.terms.every((t) => t.length > 0)).toBe(true);
        expect(query.words.every((w) => w.length > 0 && w.every((t) => t.length > 0))).toBe(true);
        if (!blank(s)) {
          expect(doc.terms.length).toBeGreaterThan(0);
          expect(doc.length).toBeGreaterThan(0);
          expect(query.words.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
