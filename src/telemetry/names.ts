/**
 * Every metric the service exports, with its unit and meaning. docs/OPERATIONS.md lists the same
 * names (a test keeps the two in sync). Prefix `creator_match_`, unit in the name, low-cardinality
 * labels only: never fan_id or request_id.
 */
export const METRICS = {
  rpcRequests: { name: 'creator_match_rpc_requests_total', kind: 'counter', unit: '1', labels: ['service', 'method', 'code'], help: 'gRPC calls finished, by method and status code name' },
  rpcDuration: { name: 'creator_match_rpc_duration_seconds', kind: 'histogram', unit: 's', labels: ['service', 'method', 'code'], help: 'gRPC call latency from the call start to the status being sent' },
  batchItems: { name: 'creator_match_batch_items_total', kind: 'counter', unit: '1', labels: ['code'], help: 'BatchMatch items answered, by in-band status code name' },
  searches: { name: 'creator_match_searches_total', kind: 'counter', unit: '1', labels: ['strategy', 'index_version'], help: 'searches by strategy (ann, ann_overfetch, ann_filtered, exact_candidates, exact_scan)' },
  exactFallbacks: { name: 'creator_match_exact_fallback_total', kind: 'counter', unit: '1', labels: ['strategy', 'index_version'], help: 'searches answered exactly instead of by HNSW (strategy exact_candidates or exact_scan)' },
  resultsReturned: { name: 'creator_match_results_returned', kind: 'histogram', unit: '1', labels: ['strategy'], help: 'matches returned per search' },
  filterSelectivity: { name: 'creator_match_filter_selectivity_ratio', kind: 'histogram', unit: '1', labels: ['strategy'], help: 'share of the catalog a request filter allows (1 = no filter)' },
  embeddingBatchDuration: { name: 'creator_match_embedding_batch_duration_seconds', kind: 'histogram', unit: 's', labels: ['model'], help: 'latency of one embedding model run (one batch of texts)' },
  embeddingBatchSize: { name: 'creator_match_embedding_batch_size', kind: 'histogram', unit: '1', labels: ['model'], help: 'texts per embedding model run' },
  embeddingCacheHits: { name: 'creator_match_embedding_cache_hits_total', kind: 'counter', unit: '1', labels: ['model'], help: 'texts answered from the embedding cache (MATCH_EMBED_CACHE_SIZE) without a model run' },
  embeddingCacheMisses: { name: 'creator_match_embedding_cache_misses_total', kind: 'counter', unit: '1', labels: ['model'], help: 'texts the embedding cache did not hold (embedded by the model, then cached)' },
  indexInfo: { name: 'creator_match_index_info', kind: 'gauge', unit: '1', labels: ['index_version', 'variant', 'model_id'], help: 'always 1: the index version being served and its model' },
  indexCreators: { name: 'creator_match_index_creators', kind: 'gauge', unit: '1', labels: ['index_version', 'variant'], help: 'creators in the served index' },
  indexDims: { name: 'creator_match_index_dimensions', kind: 'gauge', unit: '1', labels: ['index_version', 'variant'], help: 'vector dimensions of the served index' },
  indexBytes: { name: 'creator_match_index_bytes', kind: 'gauge', unit: 'By', labels: ['index_version', 'variant'], help: 'size of the served version\'s files on disk (HNSW graph, vectors, catalog)' },
  indexBuiltAt: { name: 'creator_match_index_built_timestamp_seconds', kind: 'gauge', unit: 's', labels: ['index_version', 'variant'], help: 'when the served index was built (Unix time); time() minus this is its age' },
  indexBuildRecall: { name: 'creator_match_index_build_recall_ratio', kind: 'gauge', unit: '1', labels: ['index_version', 'variant'], help: 'recall@10 of the served index against exact search, measured by the builder' },
  onlineRecall: { name: 'creator_match_online_recall_ratio', kind: 'histogram', unit: '1', labels: ['variant', 'index_version'], help: 'recall@k of live ANN searches re-run exactly by the online recall monitor (sampled)' },
  indexLoadDuration: { name: 'creator_match_index_load_duration_seconds', kind: 'histogram', unit: 's', labels: ['outcome'], help: 'time to load and verify an index version (outcome loaded or refused)' },
  processRss: { name: 'creator_match_process_resident_memory_bytes', kind: 'gauge', unit: 'By', labels: [], help: 'resident set size of the service process (Node.js runtime metrics nodejs_* and v8js_* come with it)' },
  indexLoadRefusals: { name: 'creator_match_index_load_refusals_total', kind: 'counter', unit: '1', labels: ['reason'], help: 'index versions the service refused to serve, by reason' },
} as const;

export type MetricKey = keyof typeof METRICS;

/** Instrumentation scope of everything the service records. */
export const INSTRUMENTATION_SCOPE = 'creator-match';
