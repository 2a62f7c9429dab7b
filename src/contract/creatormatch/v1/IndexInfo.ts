// Original file: proto/creatormatch/v1/creator_match.proto

import type { HnswParams as _creatormatch_v1_HnswParams, HnswParams__Output as _creatormatch_v1_HnswParams__Output } from '../../creatormatch/v1/HnswParams';
import type { Retrieval as _creatormatch_v1_Retrieval, Retrieval__Output as _creatormatch_v1_Retrieval__Output } from '../../creatormatch/v1/Retrieval';
import type { Long } from '@grpc/proto-loader';

export interface IndexInfo {
  'version'?: (string);
  'model_id'?: (string);
  'model_revision'?: (string);
  'dims'?: (number);
  /**
   * "cosine".
   */
  'metric'?: (string);
  /**
   * Live creators, incremental updates included.
   */
  'creator_count'?: (number | string | Long);
  /**
   * RFC 3339 UTC timestamp.
   */
  'built_at'?: (string);
  'hnsw'?: (_creatormatch_v1_HnswParams | null);
  /**
   * recall@10 of the HNSW index against exact search, measured at build time
   * on `recall_sample_size` creators.
   */
  'build_recall_at_10'?: (number | string);
  'recall_sample_size'?: (number);
  /**
   * Categories and languages present in the catalog (for building filters).
   */
  'categories'?: (string)[];
  'languages'?: (string)[];
  /**
   * When this version started serving (RFC 3339 UTC).
   */
  'serving_since'?: (string);
  /**
   * The last version the service refused to load, why and when (empty if none).
   */
  'last_refused_version'?: (string);
  'last_refused_reason'?: (string);
  'last_refused_at'?: (string);
  /**
   * The variant described, the experiment it belongs to, and every variant served.
   */
  'variant'?: (string);
  'experiment'?: (string);
  'variants'?: (string)[];
  /**
   * Online recall monitor: mean recall@k of sampled live ANN searches of this version against
   * exact search over the same filter, how many were measured, and how many were dropped (busy).
   */
  'online_recall'?: (number | string);
  'online_recall_samples'?: (number | string | Long);
  'online_recall_dropped'?: (number | string | Long);
  /**
   * The mode a request with RETRIEVAL_UNSPECIFIED gets, and how hybrid fuses (JSON, as recorded in
   * the manifest; see docs/RELEVANCE.md). Indexes without a lexical index are dense only.
   */
  'default_retrieval'?: (_creatormatch_v1_Retrieval);
  'fusion'?: (string);
  /**
   * Documents in the lexical (BM25) index; 0 without one.
   */
  'lexical_documents'?: (number | string | Long);
}

export interface IndexInfo__Output {
  'version': (string);
  'model_id': (string);
  'model_revision': (string);
  'dims': (number);
  /**
   * "cosine".
   */
  'metric': (string);
  /**
   * Live creators, incremental updates included.
   */
  'creator_count': (string);
  /**
   * RFC 3339 UTC timestamp.
   */
  'built_at': (string);
  'hnsw': (_creatormatch_v1_HnswParams__Output | null);
  /**
   * recall@10 of the HNSW index against exact search, measured at build time
   * on `recall_sample_size` creators.
   */
  'build_recall_at_10': (number);
  'recall_sample_size': (number);
  /**
   * Categories and languages present in the catalog (for building filters).
   */
  'categories': (string)[];
  'languages': (string)[];
  /**
   * When this version started serving (RFC 3339 UTC).
   */
  'serving_since': (string);
  /**
   * The last version the service refused to load, why and when (empty if none).
   */
  'last_refused_version': (string);
  'last_refused_reason': (string);
  'last_refused_at': (string);
  /**
   * The variant described, the experiment it belongs to, and every variant served.
   */
  'variant': (string);
  'experiment': (string);
  'variants': (string)[];
  /**
   * Online recall monitor: mean recall@k of sampled live ANN searches of this version against
   * exact search over the same filter, how many were measured, and how many were dropped (busy).
   */
  'online_recall': (number);
  'online_recall_samples': (string);
  'online_recall_dropped': (string);
  /**
   * The mode a request with RETRIEVAL_UNSPECIFIED gets, and how hybrid fuses (JSON, as recorded in
   * the manifest; see docs/RELEVANCE.md). Indexes without a lexical index are dense only.
   */
  'default_retrieval': (_creatormatch_v1_Retrieval__Output);
  'fusion': (string);
  /**
   * Documents in the lexical (BM25) index; 0 without one.
   */
  'lexical_documents': (string);
}
