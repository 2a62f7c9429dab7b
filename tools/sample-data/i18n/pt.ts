/** Portuguese templates and per-category vocabulary. */
import type { ForeignLanguageSpec } from '../types';

export const pt: ForeignLanguageSpec = {
  code: 'pt',
  openers: [
    'Olá, eu sou {name} e faço {format} sobre {topic}.',
    '{name} é um projeto dedicado a {topic}.',
    'Sou {role} e sou apaixonado por {topic}.',
    'Bem-vindos ao {name}: {format} sobre {topic} e {topic2}.',
  ],
  details: [
    'Publico {format} sobre {topic2} com frequência.',
    'Aqui você encontra conteúdo sobre {topic} para iniciantes e veteranos.',
    'De vez em quando também falo de {topic2}.',
  ],
  closers: [
    'Obrigado por apoiar o meu trabalho independente.',
    'Apoiadores recebem acesso antecipado a tudo.',
    'Venha fazer parte da comunidade!',
  ],
  nsfwLine: 'Conteúdo adulto: somente para maiores de 18 anos.',
  nsfwTag: 'adulto',
  fanTemplates: ['Procuro {fan}', 'onde encontro {fan}?', 'alguém recomenda {fan}?', 'queria achar {fan}'],
  categories: {
    podcasts: { roles: ['podcaster', 'apresentadora de podcast'], formats: ['episódios semanais', 'entrevistas em áudio'], topics: ['crimes reais', 'histórias de terror', 'bate-papo de humor', 'entrevistas com empreendedores'], tags: ['podcast', 'áudio', 'entrevistas'], fan: ['um podcast de crimes reais', 'podcasts de entrevistas'] },
    video: { roles: ['youtuber', 'cineasta'], formats: ['vídeos no YouTube', 'curtas-metragens'], topics: ['ensaios em vídeo sobre cinema', 'vlogs de viagem', 'minidocumentários', 'tutoriais de edição de vídeo'], tags: ['youtube', 'vídeo', 'cinema'], fan: ['documentários no YouTube', 'vlogs de viagem'] },
    music: { roles: ['cantora e compositora', 'produtor musical'], formats: ['músicas novas', 'demos inéditas'], topics: ['violão e MPB', 'beats lo-fi', 'música eletrônica com sintetizadores', 'trilhas sonoras'], tags: ['música', 'violão', 'mpb'], fan: ['música independente brasileira', 'beats lo-fi para estudar'] },
    visual_art: { roles: ['ilustradora', 'pintor'], formats: ['vídeos de processo', 'ilustrações digitais'], topics: ['aquarela', 'pintura digital', 'arte conceitual de fantasia', 'retratos a óleo'], tags: ['arte', 'ilustração', 'pintura'], fan: ['tutoriais de aquarela', 'ilustração digital'] },
    fiction: { roles: ['escritora', 'romancista'], formats: ['capítulos semanais', 'contos'], topics: ['fantasia épica', 'ficção científica', 'romances', 'contos de terror'], tags: ['ficção', 'romance', 'escrita'], fan: ['livros de fantasia publicados por capítulos', 'contos de terror'] },
    games: { roles: ['desenvolvedor de jogos indie', 'game designer'], formats: ['diários de desenvolvimento', 'versões jogáveis'], topics: ['jogos de plataforma em pixel art', 'desenvolvimento com Godot', 'roguelikes', 'mods de Minecraft'], tags: ['jogos', 'gamedev', 'indie'], fan: ['jogos indie em desenvolvimento', 'devlogs de jogos'] },
    education: { roles: ['professora', 'tutor de matemática'], formats: ['videoaulas', 'listas de exercícios'], topics: ['matemática para o ENEM', 'gramática inglesa', 'preparação para vestibular', 'técnicas de estudo'], tags: ['educação', 'aulas', 'estudos'], fan: ['aulas de matemática para o ENEM', 'técnicas de estudo'] },
    cooking: { roles: ['cozinheira caseira', 'chef'], formats: ['receitas em vídeo', 'receitas passo a passo'], topics: ['pão de fermentação natural', 'comida caseira brasileira', 'doces de festa', 'marmitas para a semana'], tags: ['culinária', 'receitas', 'comida caseira'], fan: ['receitas fáceis para o jantar', 'receitas de pão de fermentação natural'] },
    fitness: { roles: ['personal trainer', 'professora de ioga'], formats: ['planos de treino', 'aulas ao vivo'], topics: ['musculação', 'ioga para iniciantes', 'treino em casa', 'corrida de rua'], tags: ['fitness', 'treino', 'ioga'], fan: ['treinos em casa', 'um plano para correr 10 km'] },
    tabletop_rpg: { roles: ['mestre de RPG', 'autor de RPG de mesa'], formats: ['aventuras one-shot', 'sessões ao vivo'], topics: ['Dungeons & Dragons', 'campanhas caseiras', 'mapas de batalha', 'RPGs de mesa independentes'], tags: ['rpg de mesa', 'dnd', 'dados'], fan: ['aventuras de RPG de mesa', 'mesas de D&D ao vivo'] },
    crafts: { roles: ['artesã', 'marceneiro'], formats: ['moldes', 'tutoriais passo a passo'], topics: ['tricô e crochê', 'marcenaria', 'cerâmica', 'bordado'], tags: ['artesanato', 'feito à mão', 'crochê'], fan: ['receitas de crochê', 'marcenaria para iniciantes'] },
    open_source: { roles: ['mantenedor de software livre', 'desenvolvedora Rust'], formats: ['novas versões', 'documentação'], topics: ['bibliotecas Python', 'ferramentas de linha de comando', 'software auto-hospedado', 'crates Rust'], tags: ['código aberto', 'software livre', 'github'], fan: ['projetos de software livre', 'mantenedores de código aberto para apoiar'] },
    comics: { roles: ['quadrinista', 'desenhista de HQ'], formats: ['páginas de webcomic', 'tirinhas'], topics: ['quadrinhos de fantasia', 'mangá', 'graphic novels', 'tirinhas de humor'], tags: ['quadrinhos', 'hq', 'mangá'], fan: ['quadrinhos independentes', 'tirinhas engraçadas'] },
    photography: { roles: ['fotógrafa', 'fotojornalista'], formats: ['ensaios fotográficos', 'presets de Lightroom'], topics: ['fotografia de paisagem', 'fotografia analógica', 'retratos', 'fotografia de rua'], tags: ['fotografia', 'analógica', 'câmera'], fan: ['fotografia analógica', 'fotos de paisagens'] },
    science: { roles: ['divulgadora científica', 'astrofísico'], formats: ['vídeos de divulgação', 'experimentos'], topics: ['astronomia', 'experimentos de química', 'biologia e evolução', 'física quântica'], tags: ['ciência', 'divulgação', 'astronomia'], fan: ['divulgação científica sobre o espaço', 'experimentos de química'] },
    history: { roles: ['historiadora', 'arqueólogo'], formats: ['documentários de história', 'leituras de fontes históricas'], topics: ['a Roma antiga', 'a Idade Média', 'a história do Brasil colonial', 'arqueologia'], tags: ['história', 'arqueologia', 'idade média'], fan: ['vídeos sobre a história do Brasil', 'aulas sobre a Idade Média'] },
  },
};
