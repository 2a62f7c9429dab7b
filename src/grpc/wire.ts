import { Metadata, type ServerErrorResponse } from '@grpc/grpc-js';
import type { WireStatus } from '../errors/match-error';
import type { Refusal, Serving } from '../lifecycle/index-manager';
import type { MatchResult } from '../match/matcher';
import { DEFAULT_FUSION } from '../match/fusion-defaults';
import type { IndexInfo } from '../contract/creatormatch/v1/IndexInfo';
import type { MatchResponse } from '../contract/creatormatch/v1/MatchResponse';

/** Trailing-metadata key that carries the machine-readable error reason. */
export const REASON_METADATA_KEY = 'creator-match-reason';

const WIRE_RETRIEVAL = { dense: 'RETRIEVAL_DENSE', lexical: 'RETRIEVAL_LEXICAL', hybrid: 'RETRIEVAL_HYBRID' } as const;

export function toWireResponse(requestId: string, result: MatchResult, variant: string): MatchResponse {
  return {
    request_id: requestId,
    matches: result.matches.map((m) => ({
      creator_id: m.creatorId,
      score: m.score,
      profile: m.profile
        ? { name: m.profile.name, category: m.profile.category, tags: m.profile.tags, language: m.profile.language, is_nsfw: m.profile.is_nsfw }
        : null,
      explanation: m.explanation
        ? {
            dense_score: m.explanation.denseScore,
            dense_rank: m.explanation.denseRank,
            lexical_score: m.explanation.lexicalScore,
            lexical_rank: m.explanation.lexicalRank,
            fused_score: m.explanation.fusedScore,
            lexical_weight: m.explanation.lexicalWeight,
          }
        : null,
    })),
    retrieval: WIRE_RETRIEVAL[result.retrieval],
    index_version: result.indexVersion,
    model_id: result.modelId,
    error: null,
    variant,
  };
}

export function toWireError(requestId: string, status: WireStatus, indexVersion = '', modelId = '', variant = ''): MatchResponse {
  return {
    request_id: requestId,
    matches: [],
    index_version: indexVersion,
    model_id: modelId,
    error: { code: status.code, message: status.message, reason: status.reason },
    variant,
  };
}

export function toServiceError(status: WireStatus): ServerErrorResponse {
  const metadata = new Metadata();
  metadata.set(REASON_METADATA_KEY, status.reason);
  return { name: 'MatchError', message: status.message, code: status.code, details: status.message, metadata };
}

export function toWireIndexInfo(serving: Serving, refused: Refusal | undefined): IndexInfo {
  const { manifest, catalog } = serving.index;
  const { matcher } = serving;
  return {
    version: manifest.version,
    model_id: manifest.model?.id ?? '',
    model_revision: manifest.model?.revision ?? '',
    dims: manifest.dims,
    metric: manifest.metric,
    creator_count: String(catalog.size),
    built_at: manifest.builtAt,
    hnsw: { m: manifest.ann.m, ef_construction: manifest.ann.efConstruction, ef_search: matcher.ef },
    build_recall_at_10: manifest.recall.value,
    recall_sample_size: manifest.recall.sampleSize,
    categories: [...matcher.shape.categories],
    languages: [...matcher.shape.languages],
    serving_since: serving.loadedAt.toISOString(),
    last_refused_version: refused?.version ?? '',
    last_refused_reason: refused?.reason ?? '',
    last_refused_at: refused?.at.toISOString() ?? '',
    default_retrieval: WIRE_RETRIEVAL[serving.index.lexical ? (manifest.retrieval?.default ?? 'dense') : 'dense'],
    fusion: serving.index.lexical ? JSON.stringify(manifest.retrieval?.fusion ?? DEFAULT_FUSION) : '',
    lexical_documents: String(serving.index.lexical?.size ?? 0),
  };
}
