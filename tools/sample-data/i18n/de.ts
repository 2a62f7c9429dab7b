/** German templates and per-category vocabulary. */
import type { ForeignLanguageSpec } from '../types';

export const de: ForeignLanguageSpec = {
  code: 'de',
  openers: [
    'Hallo, ich bin {name} und mache {format} über {topic}.',
    '{name} ist ein Projekt rund um {topic}.',
    'Ich bin {role} und liebe {topic}.',
    'Willkommen bei {name}: {format} über {topic} und {topic2}.',
  ],
  details: [
    'Regelmäßig gibt es neue {format} über {topic2}.',
    'Hier findest du Inhalte über {topic} für Einsteiger und Fortgeschrittene.',
    'Ab und zu geht es auch um {topic2}.',
  ],
  closers: [
    'Danke, dass du meine unabhängige Arbeit unterstützt.',
    'Unterstützer bekommen früheren Zugang zu allem.',
    'Werde Teil der Community!',
  ],
  nsfwLine: 'Inhalte nur für Erwachsene ab 18 Jahren.',
  nsfwTag: 'ab 18',
  fanTemplates: ['Ich suche {fan}', 'Hat jemand Tipps für {fan}?', '{fan} – Empfehlungen?', 'Wo finde ich {fan}?'],
  categories: {
    podcasts: { roles: ['Podcasterin', 'Podcast-Host'], formats: ['wöchentliche Podcastfolgen', 'Audio-Interviews'], topics: ['True Crime', 'ungelöste Kriminalfälle', 'Comedy-Gespräche', 'Interviews mit Gründerinnen'], tags: ['podcast', 'audio', 'true crime'], fan: ['Podcasts über echte Kriminalfälle', 'lange Interview-Podcasts'] },
    video: { roles: ['YouTuberin', 'Filmemacher'], formats: ['YouTube-Videos', 'Kurzfilme'], topics: ['Video-Essays über Filme', 'Reisevlogs', 'Kurzdokumentationen', 'Videoschnitt-Tutorials'], tags: ['youtube', 'video', 'film'], fan: ['Dokumentationen auf YouTube', 'Reisevlogs'] },
    music: { roles: ['Liedermacherin', 'Musikproduzent'], formats: ['neue Songs', 'unveröffentlichte Demos'], topics: ['Folk mit Akustikgitarre', 'Lo-Fi-Beats', 'elektronische Musik mit Synthesizern', 'Filmmusik'], tags: ['musik', 'songs', 'synthesizer'], fan: ['unabhängige Musik', 'Lo-Fi-Beats zum Lernen'] },
    visual_art: { roles: ['Illustratorin', 'Maler'], formats: ['Prozessvideos', 'digitale Illustrationen'], topics: ['Aquarellmalerei', 'digitale Malerei', 'Fantasy-Konzeptkunst', 'Ölporträts'], tags: ['kunst', 'illustration', 'malerei'], fan: ['Aquarell-Tutorials', 'digitale Illustration'] },
    fiction: { roles: ['Autorin', 'Romanautor'], formats: ['wöchentliche Kapitel', 'Kurzgeschichten'], topics: ['epische Fantasy', 'Science-Fiction', 'Liebesromane', 'Horrorgeschichten'], tags: ['fiktion', 'roman', 'schreiben'], fan: ['Fantasy-Fortsetzungsromane', 'Science-Fiction-Kurzgeschichten'] },
    games: { roles: ['Indie-Spieleentwickler', 'Game Designerin'], formats: ['Devlogs', 'spielbare Versionen'], topics: ['Pixel-Art-Plattformer', 'Spieleentwicklung mit Godot', 'Roguelikes', 'Minecraft-Mods'], tags: ['videospiele', 'gamedev', 'indie'], fan: ['Indie-Spiele in Entwicklung', 'Devlogs über Pixel-Art-Spiele'] },
    education: { roles: ['Lehrerin', 'Mathe-Nachhilfelehrer'], formats: ['Lernvideos', 'Arbeitsblätter'], topics: ['Mathematik für die Oberstufe', 'Englischgrammatik', 'Prüfungsvorbereitung', 'Lerntechniken'], tags: ['bildung', 'lernen', 'nachhilfe'], fan: ['Mathe-Nachhilfe für mein Kind', 'gute Lerntechniken fürs Studium'] },
    cooking: { roles: ['Hobbyköchin', 'Koch'], formats: ['Rezeptvideos', 'Schritt-für-Schritt-Rezepte'], topics: ['Sauerteigbrot', 'Hausmannskost', 'Fermentieren und Einkochen', 'schnelle Feierabendküche'], tags: ['kochen', 'rezepte', 'backen'], fan: ['einfache Rezepte für den Feierabend', 'Anleitungen zum Sauerteigbrot'] },
    fitness: { roles: ['Personal Trainer', 'Yogalehrerin'], formats: ['Trainingspläne', 'Live-Kurse'], topics: ['Krafttraining', 'Yoga für Anfänger', 'Workouts für zu Hause', 'Marathontraining'], tags: ['fitness', 'training', 'yoga'], fan: ['Workouts für zu Hause', 'einen Trainingsplan für den ersten Marathon'] },
    tabletop_rpg: { roles: ['Spielleiterin', 'Rollenspiel-Autor'], formats: ['One-Shot-Abenteuer', 'Live-Runden'], topics: ['Dungeons & Dragons', 'selbst geschriebene Kampagnen', 'Bodenpläne für Kämpfe', 'Indie-Pen-and-Paper'], tags: ['pen and paper', 'rollenspiel', 'dnd'], fan: ['Abenteuer für meine Pen-and-Paper-Runde', 'D&D-Runden im Stream'] },
    crafts: { roles: ['Strickerin', 'Tischler'], formats: ['Anleitungen', 'Schritt-für-Schritt-Tutorials'], topics: ['Stricken und Häkeln', 'Holzarbeiten', 'Töpfern', 'Sticken'], tags: ['handarbeit', 'diy', 'stricken'], fan: ['Strickanleitungen', 'Töpferkurse für Anfänger'] },
    open_source: { roles: ['Open-Source-Maintainer', 'Rust-Entwicklerin'], formats: ['neue Releases', 'Dokumentation'], topics: ['Python-Bibliotheken', 'Kommandozeilen-Werkzeuge', 'Self-Hosting', 'Rust-Crates'], tags: ['open source', 'freie software', 'github'], fan: ['freie Software', 'Open-Source-Projekte, die Unterstützung brauchen'] },
    comics: { roles: ['Comiczeichnerin', 'Comicautor'], formats: ['Webcomic-Seiten', 'Comicstrips'], topics: ['Fantasy-Webcomics', 'Manga', 'Graphic Novels', 'lustige Comicstrips'], tags: ['comic', 'webcomic', 'manga'], fan: ['einen Fantasy-Webcomic', 'lustige Comicstrips'] },
    photography: { roles: ['Fotografin', 'Fotojournalist'], formats: ['Fotoserien', 'Lightroom-Presets'], topics: ['Landschaftsfotografie', 'analoge Fotografie', 'Porträtfotografie', 'Straßenfotografie'], tags: ['fotografie', 'analog', 'kamera'], fan: ['analoge Fotografie', 'Landschaftsfotos aus den Alpen'] },
    science: { roles: ['Wissenschaftskommunikatorin', 'Astrophysiker'], formats: ['Erklärvideos', 'Experimente'], topics: ['Astronomie', 'Chemie-Experimente', 'Biologie und Evolution', 'Quantenphysik'], tags: ['wissenschaft', 'astronomie', 'physik'], fan: ['Erklärvideos über das Weltall', 'Chemie-Experimente für Kinder'] },
    history: { roles: ['Historikerin', 'Archäologe'], formats: ['Geschichtsdokus', 'Quellenlektüren'], topics: ['das Römische Reich', 'das Mittelalter', 'die deutsche Geschichte des 20. Jahrhunderts', 'Archäologie'], tags: ['geschichte', 'mittelalter', 'archäologie'], fan: ['Videos über die Geschichte des Mittelalters', 'Dokus über das Römische Reich'] },
  },
};
