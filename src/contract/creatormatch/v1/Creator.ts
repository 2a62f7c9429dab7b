// Original file: proto/creatormatch/v1/index_admin.proto


/**
 * A creator, as in the builder's input.
 */
export interface Creator {
  'id'?: (string);
  'name'?: (string);
  'about'?: (string);
  'tags'?: (string)[];
  'category'?: (string);
  'language'?: (string);
  'is_nsfw'?: (boolean);
  /**
   * Optional: a vector of the index's dimension instead of embedding the text.
   */
  'vector'?: (number | string)[];
}

/**
 * A creator, as in the builder's input.
 */
export interface Creator__Output {
  'id': (string);
  'name': (string);
  'about': (string);
  'tags': (string)[];
  'category': (string);
  'language': (string);
  'is_nsfw': (boolean);
  /**
   * Optional: a vector of the index's dimension instead of embedding the text.
   */
  'vector': (number)[];
}
