// Original file: proto/creatormatch/v1/creator_match.proto


export interface Filter {
  /**
   * Never return these creators.
   */
  'exclude_creator_ids'?: (string)[];
  /**
   * Keep creators whose category is any of these (empty: all categories).
   */
  'categories'?: (string)[];
  /**
   * Keep creators whose language is any of these (empty: all languages).
   */
  'languages'?: (string)[];
  /**
   * NSFW creators are excluded unless this is true.
   */
  'include_nsfw'?: (boolean);
  /**
   * Drop matches whose cosine similarity is below this value, in [-1, 1].
   * Unset: no threshold.
   */
  'min_score'?: (number | string);
  '_min_score'?: "min_score";
}

export interface Filter__Output {
  /**
   * Never return these creators.
   */
  'exclude_creator_ids': (string)[];
  /**
   * Keep creators whose category is any of these (empty: all categories).
   */
  'categories': (string)[];
  /**
   * Keep creators whose language is any of these (empty: all languages).
   */
  'languages': (string)[];
  /**
   * NSFW creators are excluded unless this is true.
   */
  'include_nsfw': (boolean);
  /**
   * Drop matches whose cosine similarity is below this value, in [-1, 1].
   * Unset: no threshold.
   */
  'min_score'?: (number);
  '_min_score'?: "min_score";
}
