/** French templates and per-category vocabulary. */
import type { ForeignLanguageSpec } from '../types';

export const fr: ForeignLanguageSpec = {
  code: 'fr',
  openers: [
    'Bonjour, je suis {name} et je crée des {format} sur {topic}.',
    '{name} est un projet consacré à {topic}.',
    'Je suis {role} et je suis passionnée par {topic}.',
    'Bienvenue chez {name} : des {format} autour de {topic} et {topic2}.',
  ],
  details: [
    'Je publie régulièrement des {format} sur {topic2}.',
    'Vous trouverez ici du contenu sur {topic}, pour les débutants comme pour les passionnés.',
    'Je parle aussi de {topic2} de temps en temps.',
  ],
  closers: [
    'Merci de soutenir mon travail indépendant.',
    'Les membres ont un accès anticipé à tout.',
    'Rejoignez la communauté !',
  ],
  nsfwLine: 'Contenu réservé aux adultes de plus de 18 ans.',
  nsfwTag: 'adulte',
  fanTemplates: ['Je cherche {fan}', 'je voudrais découvrir {fan}', '{fan}, des idées ?', 'où trouver {fan} ?'],
  categories: {
    podcasts: { roles: ['podcasteuse', 'animateur de podcast'], formats: ['épisodes de podcast', 'entretiens audio'], topics: ['les affaires criminelles', 'les histoires de fantômes', "l'humour entre amis", 'les entretiens avec des artistes'], tags: ['podcast', 'audio', 'true crime'], fan: ['un podcast sur les affaires criminelles', 'des podcasts d’entretiens'] },
    video: { roles: ['vidéaste', 'réalisatrice'], formats: ['vidéos YouTube', 'courts métrages'], topics: ['les essais vidéo sur le cinéma', 'les vlogs de voyage', 'les mini-documentaires', 'le montage vidéo'], tags: ['youtube', 'vidéo', 'cinéma'], fan: ['une chaîne YouTube de documentaires', 'des essais vidéo sur le cinéma'] },
    music: { roles: ['autrice-compositrice', 'producteur de musique'], formats: ['nouvelles chansons', 'maquettes inédites'], topics: ['la chanson folk à la guitare', 'les beats lo-fi', 'la musique électronique aux synthétiseurs', 'les musiques de film'], tags: ['musique', 'chanson', 'synthé'], fan: ['de la musique indépendante', 'des beats lo-fi pour travailler'] },
    visual_art: { roles: ['illustratrice', 'peintre'], formats: ['vidéos de processus', 'illustrations numériques'], topics: ["l'aquarelle", 'la peinture numérique', 'le concept art fantastique', 'le portrait à l’huile'], tags: ['art', 'illustration', 'peinture'], fan: ["des tutoriels d'aquarelle", "de l'illustration numérique"] },
    fiction: { roles: ['romancière', 'auteur'], formats: ['chapitres hebdomadaires', 'nouvelles'], topics: ['la fantasy épique', 'la science-fiction', 'la romance', 'les nouvelles d’horreur'], tags: ['fiction', 'roman', 'écriture'], fan: ['un roman de fantasy en feuilleton', 'des nouvelles de science-fiction'] },
    games: { roles: ['développeur de jeux vidéo indépendant', 'game designer'], formats: ['journaux de développement', 'versions jouables'], topics: ['les jeux de plateforme en pixel art', 'le développement sous Godot', 'les roguelikes', 'les mods de jeux vidéo'], tags: ['jeux vidéo', 'gamedev', 'indé'], fan: ['des jeux vidéo indépendants en développement', 'des devlogs de jeux en pixel art'] },
    education: { roles: ['professeure', 'tuteur de maths'], formats: ['cours en vidéo', "fiches d'exercices"], topics: ['les mathématiques au lycée', "l'apprentissage de l'anglais", 'la préparation du bac', 'les méthodes de révision'], tags: ['éducation', 'cours', 'apprentissage'], fan: ['des cours de maths pour le lycée', 'des méthodes de révision efficaces'] },
    cooking: { roles: ['cuisinière amateur', 'chef'], formats: ['recettes en vidéo', 'fiches recettes'], topics: ['le pain au levain', 'la pâtisserie française', 'la cuisine du marché', 'les bocaux et la lacto-fermentation'], tags: ['cuisine', 'recettes', 'pâtisserie'], fan: ['des recettes faciles pour le soir', 'des cours de pâtisserie française'] },
    fitness: { roles: ['coach sportif', 'professeure de yoga'], formats: ["programmes d'entraînement", 'cours en direct'], topics: ['la musculation', 'le yoga doux', "l'entraînement à la maison", 'la course à pied'], tags: ['fitness', 'sport', 'yoga'], fan: ['des séances de sport à la maison', 'un programme pour courir un semi-marathon'] },
    tabletop_rpg: { roles: ['meneuse de jeu', 'auteur de jeux de rôle'], formats: ['scénarios one-shot', 'parties en direct'], topics: ['Donjons et Dragons', 'les campagnes maison', 'les cartes de bataille', 'les jeux de rôle indépendants'], tags: ['jdr', 'jeu de rôle', 'dnd'], fan: ['des scénarios de jeu de rôle', 'des parties de D&D en direct'] },
    crafts: { roles: ['tricoteuse', 'ébéniste'], formats: ['patrons', 'tutoriels pas à pas'], topics: ['le tricot et le crochet', 'la menuiserie', 'la poterie', 'la broderie'], tags: ['diy', 'fait main', 'tricot'], fan: ['des patrons de tricot', 'des cours de poterie'] },
    open_source: { roles: ['mainteneur de logiciel libre', 'développeuse Rust'], formats: ['nouvelles versions', 'pages de documentation'], topics: ['les bibliothèques Python', 'les outils en ligne de commande', "l'auto-hébergement", 'les crates Rust'], tags: ['logiciel libre', 'open source', 'github'], fan: ['des projets de logiciel libre', 'des mainteneurs open source à soutenir'] },
    comics: { roles: ['autrice de bande dessinée', 'dessinateur de BD'], formats: ['planches de webcomic', 'strips'], topics: ['la bande dessinée fantastique', 'le manga', 'le roman graphique', 'les strips humoristiques'], tags: ['bd', 'bande dessinée', 'webcomic'], fan: ['une BD en ligne', 'des romans graphiques'] },
    photography: { roles: ['photographe', 'photojournaliste'], formats: ['séries photo', 'presets Lightroom'], topics: ['la photo de paysage', 'la photographie argentique', 'le portrait', 'la photo de rue'], tags: ['photographie', 'argentique', 'photo'], fan: ['de la photographie argentique', 'des photos de paysages'] },
    science: { roles: ['vulgarisatrice scientifique', 'astrophysicien'], formats: ['vidéos de vulgarisation', 'expériences'], topics: ["l'astronomie", 'la chimie amusante', "la biologie et l'évolution", 'la physique quantique'], tags: ['science', 'vulgarisation', 'astronomie'], fan: ["de la vulgarisation sur l'espace", 'des expériences scientifiques'] },
    history: { roles: ['historienne', 'archéologue'], formats: ["documentaires d'histoire", 'lectures de sources'], topics: ['la Rome antique', 'le Moyen Âge', 'la Révolution française', "l'archéologie"], tags: ['histoire', 'moyen âge', 'archéologie'], fan: ['des vidéos sur le Moyen Âge', 'des documentaires sur la Révolution française'] },
  },
};
