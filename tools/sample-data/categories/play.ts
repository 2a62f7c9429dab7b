/** English vocabulary: games, tabletop_rpg. */
import type { CategorySpec } from '../types';

export const games: CategorySpec = {
  id: 'games',
  roles: ['indie game developer', 'solo game dev', 'game designer', 'level designer', 'modder', 'speedrunner'],
  outlets: ['indie game studio', 'two-person game studio', 'game dev collective', 'modding team', 'gaming channel'],
  formats: ['devlogs', 'playable builds', 'patch notes', 'game design breakdowns', 'dev streams', 'postmortems'],
  audiences: ['indie game fans', 'aspiring game developers', 'playtesters', 'retro gamers', 'Steam wishlisters'],
  perks: ['early playable builds', 'Steam keys on launch', 'your name in the game credits', 'playtest access', 'source code for prototypes', 'a vote on new features'],
  subtopics: [
    { label: 'pixel art platformers', terms: ['platformer levels', 'sprite animation', 'tight jump physics', 'boss fights', 'metroidvania maps', 'retro aesthetics'], tags: ['platformer', 'indie games'] },
    { label: 'Godot and Unity game development', terms: ['Godot engine', 'Unity C# scripts', 'shaders', 'game loops', 'physics bugs', 'scene trees'], tags: ['gamedev', 'godot'] },
    { label: 'roguelikes', terms: ['procedural dungeons', 'permadeath', 'item synergies', 'run-based progression', 'deckbuilding roguelites', 'balance patches'], tags: ['roguelike', 'roguelite'] },
    { label: 'cozy farming sims', terms: ['farming sims', 'crop cycles', 'village NPCs', 'crafting systems', 'seasonal festivals', 'fishing minigames'], tags: ['cozy games', 'farming sim'] },
    { label: 'game modding', terms: ['Minecraft mods', 'Skyrim mods', 'modpacks', 'texture packs', 'mod loaders', 'custom maps'], tags: ['modding', 'mods'] },
    { label: 'speedrunning', terms: ['any% routes', 'frame-perfect tricks', 'glitch hunting', 'world records', 'splits', 'tool-assisted runs'], tags: ['speedrunning'] },
    { label: 'narrative and visual novels', terms: ['visual novels', 'branching dialogue', 'interactive fiction in Twine', 'choice-driven games', 'character routes', 'multiple endings'], tags: ['visual novel', 'narrative games'] },
    { label: 'strategy and simulation games', terms: ['city builders', 'turn-based strategy', 'colony sims', 'tech trees', 'AI opponents', 'factory automation'], tags: ['strategy games', 'simulation'] },
    { label: 'game audio and retro consoles', terms: ['homebrew Game Boy games', 'NES ROM hacking', 'retro consoles', 'cartridge releases', 'assembly code', 'emulators'], tags: ['retro gaming', 'homebrew'] },
    { label: 'multiplayer and esports', terms: ['competitive ladders', 'esports coaching', 'patch meta analysis', 'ranked gameplay', 'team strategies', 'tournament VODs'], tags: ['esports', 'competitive gaming'] },
  ],
  nameWords: ['Pixel', 'Sprite', 'Respawn', 'Checkpoint', 'Quest', 'Hitbox', 'Level', 'Joystick', 'Cartridge', 'Bitforge', 'Save Point', 'Arcade'],
  baseTags: ['games', 'video games', 'gamedev'],
  fanInterests: ['indie game devlogs about pixel art platformers', 'learning Godot', 'roguelike games in development', 'a cozy farming game to playtest', 'Minecraft mod makers', 'speedrun tutorials', 'visual novels with multiple endings', 'city builder and colony sim games', 'homebrew games for the Game Boy', 'esports coaching for ranked play', 'early builds of an indie game', 'a small studio making its first game'],
  fanSeekers: ['indie game developer', 'game studio', 'game dev', 'game designer'],
};

export const tabletopRpg: CategorySpec = {
  id: 'tabletop_rpg',
  roles: ['game master', 'dungeon master', 'TTRPG designer', 'adventure writer', 'actual-play GM', 'miniature painter'],
  outlets: ['actual-play show', 'TTRPG publisher', 'homebrew collective', 'tabletop design studio', 'gaming table crew'],
  formats: ['one-shot adventures', 'homebrew supplements', 'battle maps', 'actual-play sessions', 'stat blocks', 'campaign guides'],
  audiences: ['game masters', 'D&D players', 'new tabletop groups', 'worldbuilders', 'dice goblins'],
  perks: ['printable battle maps', 'monthly one-shots', 'VTT-ready tokens', 'homebrew monster stat blocks', 'seats at live games', 'PDF supplements'],
  subtopics: [
    { label: 'D&D 5e homebrew', terms: ['homebrew subclasses', 'magic items', 'stat blocks', 'spell lists', 'balanced encounters', 'D&D 5e'], tags: ['dnd', 'd&d 5e', 'homebrew'] },
    { label: 'one-shot adventures', terms: ['one-shots', 'dungeon crawls', 'session zero', 'adventure hooks', 'pre-generated characters', 'three-hour sessions'], tags: ['one-shots', 'adventures'] },
    { label: 'battle maps', terms: ['grid battle maps', 'Foundry VTT', 'Roll20 tokens', 'dungeon tiles', 'tavern maps', 'dynamic lighting'], tags: ['battle maps', 'vtt'] },
    { label: 'worldbuilding for campaigns', terms: ['campaign settings', 'pantheons', 'factions', 'lore bibles', 'fantasy maps', 'homebrew campaigns'], tags: ['worldbuilding', 'campaign setting'] },
    { label: 'game mastering advice', terms: ['running sessions', 'improvising NPCs', 'pacing combat', 'handling rules lawyers', 'player agency', 'GM screens'], tags: ['gm advice', 'dungeon master'] },
    { label: 'actual play', terms: ['actual-play campaigns', 'player characters', 'critical hits', 'dice rolls on stream', 'character arcs', 'live sessions'], tags: ['actual play', 'ttrpg stream'] },
    { label: 'indie TTRPGs', terms: ['Powered by the Apocalypse', 'OSR dungeons', 'solo journaling games', 'zine RPGs', 'Blades in the Dark hacks', 'rules-light systems'], tags: ['indie ttrpg', 'osr'] },
    { label: 'miniatures and terrain', terms: ['painted miniatures', 'dungeon terrain', '3D-printed minis', 'Warhammer armies', 'wargaming tables', 'scatter terrain'], tags: ['miniatures', 'terrain'] },
    { label: 'horror and investigation RPGs', terms: ['Call of Cthulhu', 'sanity checks', 'investigation scenarios', 'handouts and clues', 'cosmic horror campaigns', 'Mothership modules'], tags: ['call of cthulhu', 'horror rpg'] },
    { label: 'dice and accessories', terms: ['polyhedral dice', 'dice trays', 'character sheets', 'initiative trackers', 'custom d20s', 'dice towers'], tags: ['dice', 'ttrpg accessories'] },
  ],
  nameWords: ['D20', 'Dungeon', 'Initiative', 'Critical Hit', 'Tavern', 'Bard', 'Goblin', 'Dice', 'Owlbear', 'Grimoire', 'Mimic', 'Crit'],
  baseTags: ['ttrpg', 'tabletop', 'rpg'],
  fanInterests: ['D&D homebrew I can use in my campaign', 'one-shots for a new group', 'battle maps for Foundry', 'help worldbuilding my campaign setting', 'advice for a first-time dungeon master', 'an actual play D&D show', 'indie tabletop RPGs and OSR zines', 'painting miniatures for tabletop games', 'Call of Cthulhu scenarios', 'cool dice', 'monster stat blocks', 'a GM who runs games online'],
  fanSeekers: ['dungeon master', 'TTRPG designer', 'game master', 'tabletop creator'],
};
