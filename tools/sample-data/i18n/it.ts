/** Italian templates and per-category vocabulary. */
import type { ForeignLanguageSpec } from '../types';

export const it: ForeignLanguageSpec = {
  code: 'it',
  openers: [
    'Ciao, sono {name} e realizzo {format} su {topic}.',
    '{name} è un progetto dedicato a {topic}.',
    'Sono {role} e adoro {topic}.',
    'Benvenuti su {name}: {format} su {topic} e {topic2}.',
  ],
  details: [
    'Pubblico regolarmente {format} su {topic2}.',
    'Qui trovi contenuti su {topic} per principianti ed esperti.',
    'Ogni tanto parlo anche di {topic2}.',
  ],
  closers: [
    'Grazie per sostenere il mio lavoro indipendente.',
    'I sostenitori ricevono accesso anticipato a tutto.',
    'Unisciti alla community!',
  ],
  nsfwLine: 'Contenuti per adulti: riservati ai maggiori di 18 anni.',
  nsfwTag: 'per adulti',
  fanTemplates: ['Cerco {fan}', 'dove trovo {fan}?', 'qualcuno consiglia {fan}?', 'vorrei scoprire {fan}'],
  categories: {
    podcasts: { roles: ['podcaster', 'conduttrice di podcast'], formats: ['episodi settimanali', 'interviste audio'], topics: ['la cronaca nera', 'i misteri irrisolti', 'le chiacchiere comiche', 'le interviste a imprenditori'], tags: ['podcast', 'audio', 'interviste'], fan: ['un podcast di cronaca nera', 'podcast di interviste'] },
    video: { roles: ['youtuber', 'regista'], formats: ['video su YouTube', 'cortometraggi'], topics: ['i video saggi sul cinema', 'i vlog di viaggio', 'i mini documentari', 'il montaggio video'], tags: ['youtube', 'video', 'cinema'], fan: ['documentari su YouTube', 'vlog di viaggio'] },
    music: { roles: ['cantautrice', 'produttore musicale'], formats: ['nuove canzoni', 'demo inedite'], topics: ['il folk con la chitarra acustica', 'i beat lo-fi', 'la musica elettronica con i sintetizzatori', 'le colonne sonore'], tags: ['musica', 'canzoni', 'chitarra'], fan: ['musica indipendente italiana', 'beat lo-fi per studiare'] },
    visual_art: { roles: ['illustratrice', 'pittore'], formats: ['video di processo', 'illustrazioni digitali'], topics: ["l'acquerello", 'la pittura digitale', "la concept art fantasy", 'i ritratti a olio'], tags: ['arte', 'illustrazione', 'pittura'], fan: ["tutorial di acquerello", 'illustrazione digitale'] },
    fiction: { roles: ['scrittrice', 'romanziere'], formats: ['capitoli settimanali', 'racconti brevi'], topics: ['il fantasy epico', 'la fantascienza', 'i romanzi rosa', 'i racconti horror'], tags: ['narrativa', 'romanzo', 'scrittura'], fan: ['romanzi fantasy a puntate', 'racconti di fantascienza'] },
    games: { roles: ['sviluppatore di videogiochi indie', 'game designer'], formats: ['diari di sviluppo', 'versioni giocabili'], topics: ['i platform in pixel art', 'lo sviluppo con Godot', 'i roguelike', 'le mod di Minecraft'], tags: ['videogiochi', 'gamedev', 'indie'], fan: ['videogiochi indie in sviluppo', 'devlog di giochi in pixel art'] },
    education: { roles: ['insegnante', 'tutor di matematica'], formats: ['videolezioni', 'schede di esercizi'], topics: ['la matematica per il liceo', "la grammatica inglese", 'la preparazione alla maturità', 'il metodo di studio'], tags: ['istruzione', 'lezioni', 'scuola'], fan: ['lezioni di matematica per il liceo', 'un buon metodo di studio'] },
    cooking: { roles: ['cuoca casalinga', 'chef'], formats: ['ricette in video', 'ricette passo passo'], topics: ['la pasta fatta in casa', 'il pane con lievito madre', 'la cucina regionale italiana', 'i dolci della nonna'], tags: ['cucina', 'ricette', 'pasta fresca'], fan: ['ricette veloci per la cena', 'ricette di pasta fresca fatta in casa'] },
    fitness: { roles: ['personal trainer', 'insegnante di yoga'], formats: ['schede di allenamento', 'lezioni in diretta'], topics: ['il sollevamento pesi', 'lo yoga per principianti', "l'allenamento a casa", 'la corsa'], tags: ['fitness', 'allenamento', 'yoga'], fan: ['allenamenti a casa', 'un programma per la mia prima maratona'] },
    tabletop_rpg: { roles: ['master di gioco di ruolo', 'autore di giochi di ruolo'], formats: ['avventure one-shot', 'sessioni in diretta'], topics: ['Dungeons & Dragons', 'le campagne homebrew', 'le mappe di battaglia', 'i giochi di ruolo indipendenti'], tags: ['gdr', 'gioco di ruolo', 'dnd'], fan: ['avventure per il mio gruppo di gioco di ruolo', 'sessioni di D&D in diretta'] },
    crafts: { roles: ['magliaia', 'falegname'], formats: ['schemi', 'tutorial passo passo'], topics: ["la maglia e l'uncinetto", 'la falegnameria', 'la ceramica', 'il ricamo'], tags: ['fai da te', 'fatto a mano', 'uncinetto'], fan: ["schemi all'uncinetto", 'falegnameria per principianti'] },
    open_source: { roles: ['maintainer di software libero', 'sviluppatrice Rust'], formats: ['nuove release', 'documentazione'], topics: ['le librerie Python', 'gli strumenti da riga di comando', 'il self-hosting', 'i crate Rust'], tags: ['open source', 'software libero', 'github'], fan: ['progetti di software libero', 'maintainer open source da sostenere'] },
    comics: { roles: ['fumettista', 'disegnatore di fumetti'], formats: ['tavole di webcomic', 'strisce'], topics: ['i fumetti fantasy', 'i manga', 'le graphic novel', 'le strisce comiche'], tags: ['fumetti', 'webcomic', 'manga'], fan: ['fumetti indipendenti', 'strisce comiche divertenti'] },
    photography: { roles: ['fotografa', 'fotoreporter'], formats: ['reportage fotografici', 'preset di Lightroom'], topics: ['la fotografia di paesaggio', 'la fotografia analogica', 'il ritratto', 'la street photography'], tags: ['fotografia', 'analogica', 'fotocamera'], fan: ['fotografia analogica', 'foto di paesaggi'] },
    science: { roles: ['divulgatrice scientifica', 'astrofisico'], formats: ['video di divulgazione', 'esperimenti'], topics: ["l'astronomia", 'gli esperimenti di chimica', "la biologia e l'evoluzione", 'la fisica quantistica'], tags: ['scienza', 'divulgazione', 'astronomia'], fan: ['divulgazione scientifica sullo spazio', 'esperimenti di chimica'] },
    history: { roles: ['storica', 'archeologo'], formats: ['documentari storici', 'letture di fonti'], topics: ["l'antica Roma", 'il Medioevo', 'il Rinascimento', "l'archeologia"], tags: ['storia', 'medioevo', 'archeologia'], fan: ["video sulla storia dell'antica Roma", 'documentari sul Rinascimento italiano'] },
  },
};
