/**
 * The JSON bodies of the workbench's own endpoints (/ui/api/…), shared by the server (src/ui) and
 * the page (web/src). Types only: this file imports nothing, so the browser build can use it.
 */

/** GET /ui/api/config */
export interface UiConfig {
  experiment: string;
  variants: string[];
  /** Judging is on (MATCH_UI_JUDGMENTS_FILE is set). */
  judgments: boolean;
  /** A rating task is configured (MATCH_UI_TASK_FILE). */
  task_file: boolean;
  limits: { max_k: number; max_text_chars: number; max_like_creators: number; max_search: number };
  transport: 'plaintext' | 'tls' | 'mtls';
}

/** GET /ui/api/creators?q=&limit=&variant= → { creators: CreatorHit[] } */
export interface CreatorHit {
  creator_id: string;
  name: string;
  category: string;
  language: string;
}

/** What the page posts to /ui/api/judgments. */
export interface JudgmentInput {
  rater_id: string;
  fan_id: string;
  creator_id: string;
  /** 0 not relevant, 1 somewhat, 2 relevant (the labels scale; eval reads 0–4). */
  grade: number;
  item_id?: string;
  variant?: string;
  index_version?: string;
  retrieval?: string;
  request_id?: string;
  rank?: number;
  query?: { interest_text?: string; like_creator_ids?: string[]; vector?: boolean };
  mode?: 'query' | 'compare' | 'task';
}

/** One line of MATCH_UI_JUDGMENTS_FILE (POST /ui/api/judgments answers { judgment: JudgmentLine }). */
export interface JudgmentLine extends JudgmentInput {
  item_id: string;
  /** When the service recorded it (RFC 3339 UTC). */
  ts: string;
  source: 'workbench';
}

/** GET /ui/api/judgments?rater_id=&fan_id= → { judgments: RememberedJudgment[] }: a rater's latest grades. */
export interface RememberedJudgment {
  fan_id: string;
  creator_id: string;
  grade: number;
  ts: string;
}

/** One item of a rating task (labels:export's task.csv). */
export interface TaskItem {
  item_id: string;
  fan_id: string;
  query_kind: string;
  fan_text: string;
  liked_creators: string;
  creator_id: string;
  creator_name: string;
  creator_category: string;
  creator_language: string;
  creator_tags: string[];
  creator_about: string;
}

/** GET or POST /ui/api/task → TaskBody */
export interface TaskBody {
  source: string;
  items: TaskItem[];
}

/** Every error body (JSON API and /ui/api/…): Connect's code name, the message, the service's reason. */
export interface JsonError {
  code: string;
  message: string;
  /** docs/ERRORS.md; empty for errors answered before the service's code runs (too large, unknown method). */
  reason: string;
}
