/**
 * The page's calls: the service's HTTP/JSON API (the same Match and GetIndexInfo as gRPC, proto3
 * JSON with proto field names: the types are the ones generated from the proto in src/contract)
 * and the workbench's own endpoints under /ui/api/.
 */
import type { IndexInfo__Output } from '../../src/contract/creatormatch/v1/IndexInfo';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import type { CreatorHit, JsonError, JudgmentInput, JudgmentLine, RememberedJudgment, TaskBody, UiConfig } from '../../src/ui/api-types';

export type { IndexInfo__Output as IndexInfo, MatchRequest, MatchResponse__Output as MatchResponse };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }

  override toString(): string {
    return `${this.code}${this.reason ? ` (${this.reason})` : ''}: ${this.message}`;
  }
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { ...init, headers: { Accept: 'application/json', ...(init.headers ?? {}) } });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(res.status, 'unknown', `HTTP ${res.status}: ${text.slice(0, 200)}`, '');
  }
  if (!res.ok) {
    const e = body as Partial<JsonError>;
    throw new ApiError(res.status, e.code ?? 'unknown', e.message ?? `HTTP ${res.status}`, e.reason ?? '');
  }
  return body as T;
}

const postJson = <T>(path: string, body: unknown, timeoutMs?: number): Promise<T> =>
  call<T>(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(timeoutMs ? { 'Connect-Timeout-Ms': String(timeoutMs) } : {}) },
    body: JSON.stringify(body),
  });

export const api = {
  match: (req: MatchRequest): Promise<MatchResponse__Output> => postJson('/creatormatch.v1.CreatorMatcher/Match', req, 30_000),
  indexInfo: (variant: string): Promise<IndexInfo__Output> => postJson('/creatormatch.v1.CreatorMatcher/GetIndexInfo', { variant }, 10_000),
  config: (): Promise<UiConfig> => call('/ui/api/config'),
  creators: (q: string, variant: string, limit = 10): Promise<{ creators: CreatorHit[] }> =>
    call(`/ui/api/creators?${new URLSearchParams({ q, variant, limit: String(limit) }).toString()}`),
  judge: (j: JudgmentInput): Promise<{ judgment: JudgmentLine }> => postJson('/ui/api/judgments', j),
  ratings: (raterId: string, fanId?: string): Promise<{ judgments: RememberedJudgment[] }> =>
    call(`/ui/api/judgments?${new URLSearchParams({ rater_id: raterId, ...(fanId !== undefined ? { fan_id: fanId } : {}) }).toString()}`),
  task: (): Promise<TaskBody> => call('/ui/api/task'),
  uploadTask: (csv: string): Promise<TaskBody> => call('/ui/api/task', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: csv }),
};
