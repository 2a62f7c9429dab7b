// Original file: proto/creatormatch/v1/creator_match.proto


export interface CreatorProfile {
  'name'?: (string);
  'category'?: (string);
  'tags'?: (string)[];
  'language'?: (string);
  'is_nsfw'?: (boolean);
}

export interface CreatorProfile__Output {
  'name': (string);
  'category': (string);
  'tags': (string)[];
  'language': (string);
  'is_nsfw': (boolean);
}
