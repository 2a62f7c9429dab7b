/** Spanish templates and per-category vocabulary. */
import type { ForeignLanguageSpec } from '../types';

export const es: ForeignLanguageSpec = {
  code: 'es',
  openers: [
    'Hola, soy {name} y hago {format} sobre {topic}.',
    '{name} es un proyecto de {topic} con {format} cada semana.',
    'Soy {role} y me apasiona {topic}.',
    'Bienvenidos a {name}: {format} sobre {topic} y {topic2}.',
  ],
  details: [
    'Publico {format} sobre {topic2} con regularidad.',
    'Aquí encontrarás contenido sobre {topic} pensado para principiantes y expertos.',
    'También hablo de {topic2} de vez en cuando.',
  ],
  closers: [
    'Gracias por apoyar mi trabajo independiente.',
    'Los mecenas reciben acceso anticipado a todo.',
    '¡Únete a la comunidad!',
  ],
  nsfwLine: 'Contenido para adultos: solo mayores de 18 años.',
  nsfwTag: 'adultos',
  fanTemplates: ['Busco {fan}', 'Me encantaría encontrar {fan}', '¿Alguien recomienda {fan}?', '{fan}, ¿alguna recomendación?'],
  categories: {
    podcasts: { roles: ['podcaster', 'presentadora de pódcast'], formats: ['episodios semanales de pódcast', 'entrevistas en audio'], topics: ['crímenes reales', 'misterios sin resolver', 'tertulias de humor', 'entrevistas a emprendedores'], tags: ['pódcast', 'audio', 'entrevistas'], fan: ['un pódcast de crímenes reales', 'pódcasts de entrevistas en español'] },
    video: { roles: ['youtuber', 'cineasta'], formats: ['vídeos en YouTube', 'cortometrajes'], topics: ['ensayos en vídeo sobre cine', 'vlogs de viajes', 'documentales cortos', 'tutoriales de edición de vídeo'], tags: ['youtube', 'vídeo', 'cine'], fan: ['un canal de YouTube de documentales', 'vlogs de viajes'] },
    music: { roles: ['cantautora', 'productor musical'], formats: ['canciones nuevas', 'maquetas inéditas'], topics: ['guitarra acústica y folk', 'beats de lo-fi', 'música electrónica con sintetizadores', 'bandas sonoras'], tags: ['música', 'canciones', 'guitarra'], fan: ['música indie en español', 'beats de lo-fi para estudiar'] },
    visual_art: { roles: ['ilustradora', 'pintor'], formats: ['vídeos de proceso', 'ilustraciones digitales'], topics: ['acuarela', 'pintura digital en Procreate', 'arte conceptual de fantasía', 'retratos al óleo'], tags: ['arte', 'ilustración', 'pintura'], fan: ['ilustración digital y acuarela', 'tutoriales de pintura'] },
    fiction: { roles: ['escritora', 'novelista'], formats: ['capítulos semanales', 'relatos cortos'], topics: ['novela de fantasía épica', 'ciencia ficción', 'novela romántica', 'relatos de terror'], tags: ['ficción', 'novela', 'escritura'], fan: ['novelas de fantasía por entregas', 'relatos de terror'] },
    games: { roles: ['desarrollador de videojuegos indie', 'diseñadora de juegos'], formats: ['diarios de desarrollo', 'versiones jugables'], topics: ['videojuegos de plataformas en pixel art', 'desarrollo con Godot', 'roguelikes', 'mods de Minecraft'], tags: ['videojuegos', 'gamedev', 'indie'], fan: ['videojuegos indie en desarrollo', 'diarios de desarrollo de videojuegos'] },
    education: { roles: ['profesora', 'tutor de matemáticas'], formats: ['clases en vídeo', 'fichas de ejercicios'], topics: ['matemáticas de secundaria', 'gramática inglesa', 'preparación de exámenes', 'técnicas de estudio'], tags: ['educación', 'clases', 'aprendizaje'], fan: ['clases de matemáticas para mi hijo', 'técnicas de estudio para la universidad'] },
    cooking: { roles: ['cocinera casera', 'chef'], formats: ['recetas en vídeo', 'recetas paso a paso'], topics: ['pan de masa madre', 'empanadas y tamales caseros', 'cocina de aprovechamiento', 'fermentados y encurtidos'], tags: ['cocina', 'recetas', 'masa madre'], fan: ['recetas fáciles para cenar', 'recetas de pan de masa madre'] },
    fitness: { roles: ['entrenador personal', 'profesora de yoga'], formats: ['rutinas de entrenamiento', 'clases en directo'], topics: ['entrenamiento de fuerza', 'yoga para principiantes', 'ejercicios en casa sin material', 'preparación para maratón'], tags: ['fitness', 'entrenamiento', 'yoga'], fan: ['rutinas de ejercicio en casa', 'un plan para correr mi primera maratón'] },
    tabletop_rpg: { roles: ['máster de rol', 'diseñador de juegos de rol'], formats: ['aventuras autoconclusivas', 'partidas en directo'], topics: ['Dungeons & Dragons', 'campañas caseras', 'mapas de batalla', 'juegos de rol de mesa independientes'], tags: ['rol', 'dnd', 'dados'], fan: ['partidas de rol de D&D', 'aventuras para mi grupo de rol'] },
    crafts: { roles: ['tejedora', 'carpintero'], formats: ['patrones', 'tutoriales paso a paso'], topics: ['punto y ganchillo', 'carpintería', 'cerámica al torno', 'bordado'], tags: ['manualidades', 'hecho a mano', 'ganchillo'], fan: ['patrones de ganchillo', 'proyectos de carpintería para principiantes'] },
    open_source: { roles: ['mantenedor de software libre', 'desarrolladora de Rust'], formats: ['nuevas versiones', 'documentación'], topics: ['librerías de Python', 'herramientas de línea de comandos', 'software autoalojado', 'paquetes de Rust'], tags: ['código abierto', 'github', 'software libre'], fan: ['proyectos de software libre', 'mantenedores de código abierto a quienes apoyar'] },
    comics: { roles: ['historietista', 'dibujante de cómics'], formats: ['páginas de webcómic', 'tiras cómicas'], topics: ['webcómics de fantasía', 'manga', 'novela gráfica', 'tiras cómicas de humor'], tags: ['cómic', 'webcómic', 'manga'], fan: ['webcómics de fantasía', 'tiras cómicas divertidas'] },
    photography: { roles: ['fotógrafa', 'fotoperiodista'], formats: ['ensayos fotográficos', 'presets de Lightroom'], topics: ['fotografía de paisaje', 'fotografía analógica', 'retratos', 'fotografía callejera'], tags: ['fotografía', 'cámara', 'analógico'], fan: ['fotografía de paisajes', 'consejos de fotografía analógica'] },
    science: { roles: ['divulgadora científica', 'astrofísico'], formats: ['vídeos de divulgación', 'experimentos'], topics: ['astronomía', 'experimentos de química', 'biología y evolución', 'física cuántica'], tags: ['ciencia', 'divulgación', 'astronomía'], fan: ['divulgación científica sobre el espacio', 'experimentos de química'] },
    history: { roles: ['historiadora', 'arqueólogo'], formats: ['documentales de historia', 'lecturas de fuentes primarias'], topics: ['la Roma antigua', 'la Edad Media', 'la Guerra Civil española', 'arqueología'], tags: ['historia', 'arqueología', 'medieval'], fan: ['vídeos de historia de la Edad Media', 'documentales sobre la antigua Roma'] },
  },
};
