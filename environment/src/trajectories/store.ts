import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

// Every episode's actions, observation digests, rewards, timings, grader version and task hash.
// Replaying the actions of an episode on the same task hash and grader version must give the same
// digests and rewards; the leaderboard reads final rewards from here.

export interface EpisodeRecord {
  id: string;
  task: string;
  seed: number;
  mode: string;
  taskHash: string;
  graderVersion: string;
  envVersion: string;
  sandbox: string;
  maxSteps: number;
  createdAt: string;
}

export interface StepRecord {
  episodeId: string;
  index: number;
  action: unknown;
  observationDigest: string;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  startedAt: string;
  durationMs: number;
}

export interface GradeRecord {
  episodeId: string;
  step: number;
  kind: 'reward' | 'final';
  contentHash: string;
  reward: number;
  outcome: string;
  cached: boolean;
  durationMs: number;
  grade: unknown;
}

export interface EpisodeEnd {
  id: string;
  status: string;
  endedAt: string;
  steps: number;
  finalReward: number | null;
  outcome: string | null;
}

export interface ExportedEpisode extends EpisodeRecord {
  status: string;
  endedAt: string | null;
  steps: number;
  finalReward: number | null;
  outcome: string | null;
  trajectory: Array<Omit<StepRecord, 'episodeId'>>;
  grades: Array<Omit<GradeRecord, 'episodeId'>>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS episodes (
  id TEXT PRIMARY KEY, task TEXT NOT NULL, seed INTEGER NOT NULL, mode TEXT NOT NULL,
  task_hash TEXT NOT NULL, grader_version TEXT NOT NULL, env_version TEXT NOT NULL, sandbox TEXT NOT NULL,
  max_steps INTEGER NOT NULL, created_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'running', ended_at TEXT, steps INTEGER NOT NULL DEFAULT 0,
  final_reward REAL, outcome TEXT
);
CREATE TABLE IF NOT EXISTS steps (
  episode_id TEXT NOT NULL REFERENCES episodes(id), idx INTEGER NOT NULL, action TEXT NOT NULL,
  observation_digest TEXT NOT NULL, reward REAL NOT NULL, terminated INTEGER NOT NULL, truncated INTEGER NOT NULL,
  started_at TEXT NOT NULL, duration_ms REAL NOT NULL, PRIMARY KEY (episode_id, idx)
);
CREATE TABLE IF NOT EXISTS grades (
  episode_id TEXT NOT NULL REFERENCES episodes(id), step INTEGER NOT NULL, kind TEXT NOT NULL,
  content_hash TEXT NOT NULL, reward REAL NOT NULL, outcome TEXT NOT NULL, cached INTEGER NOT NULL,
  duration_ms REAL NOT NULL, grade TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS grades_episode ON grades (episode_id);
CREATE INDEX IF NOT EXISTS episodes_task ON episodes (task, final_reward);
`;

interface EpisodeRow {
  id: string; task: string; seed: number; mode: string; task_hash: string; grader_version: string; env_version: string;
  sandbox: string; max_steps: number; created_at: string; status: string; ended_at: string | null; steps: number;
  final_reward: number | null; outcome: string | null;
}

/** SQLite (better-sqlite3, WAL). With a null path nothing is recorded. */
export class TrajectoryStore {
  private readonly db: Database.Database | undefined;

  constructor(file: string | null) {
    if (file === null) return;
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  get enabled(): boolean {
    return this.db !== undefined;
  }

  startEpisode(e: EpisodeRecord): void {
    this.db?.prepare(`INSERT INTO episodes (id, task, seed, mode, task_hash, grader_version, env_version, sandbox, max_steps, created_at)
      VALUES (@id, @task, @seed, @mode, @taskHash, @graderVersion, @envVersion, @sandbox, @maxSteps, @createdAt)`).run(e);
  }

  recordStep(s: StepRecord): void {
    this.db?.prepare(`INSERT INTO steps (episode_id, idx, action, observation_digest, reward, terminated, truncated, started_at, duration_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(s.episodeId, s.index, JSON.stringify(s.action), s.observationDigest, s.reward, s.terminated ? 1 : 0, s.truncated ? 1 : 0, s.startedAt, s.durationMs);
    this.db?.prepare('UPDATE episodes SET steps = ? WHERE id = ?').run(s.index, s.episodeId);
  }

  recordGrade(g: GradeRecord): void {
    this.db?.prepare(`INSERT INTO grades (episode_id, step, kind, content_hash, reward, outcome, cached, duration_ms, grade)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(g.episodeId, g.step, g.kind, g.contentHash, g.reward, g.outcome, g.cached ? 1 : 0, g.durationMs, JSON.stringify(g.grade));
  }

  endEpisode(e: EpisodeEnd): void {
    this.db?.prepare(`UPDATE episodes SET status = @status, ended_at = @endedAt, steps = @steps, final_reward = @finalReward, outcome = @outcome
      WHERE id = @id AND ended_at IS NULL`).run(e);
  }

  episode(id: string): ExportedEpisode | undefined {
    const row = this.db?.prepare('SELECT * FROM episodes WHERE id = ?').get(id) as EpisodeRow | undefined;
    return row ? this.expand(row) : undefined;
  }

  /** Episodes in creation order (optionally one task's), with their steps and grades. */
  *episodes(filter: { task?: string } = {}): Generator<ExportedEpisode> {
    if (!this.db) return;
    const rows = (filter.task
      ? this.db.prepare('SELECT * FROM episodes WHERE task = ? ORDER BY created_at, id').iterate(filter.task)
      : this.db.prepare('SELECT * FROM episodes ORDER BY created_at, id').iterate()) as Iterable<EpisodeRow>;
    // iterate() holds the statement open; expanding needs other statements, so collect ids first
    const all = [...rows];
    for (const row of all) yield this.expand(row);
  }

  private expand(row: EpisodeRow): ExportedEpisode {
    const steps = this.db!.prepare('SELECT * FROM steps WHERE episode_id = ? ORDER BY idx').all(row.id) as Array<{
      idx: number; action: string; observation_digest: string; reward: number; terminated: number; truncated: number; started_at: string; duration_ms: number;
    }>;
    const grades = this.db!.prepare('SELECT * FROM grades WHERE episode_id = ? ORDER BY rowid').all(row.id) as Array<{
      step: number; kind: 'reward' | 'final'; content_hash: string; reward: number; outcome: string; cached: number; duration_ms: number; grade: string;
    }>;
    return {
      id: row.id, task: row.task, seed: row.seed, mode: row.mode, taskHash: row.task_hash, graderVersion: row.grader_version,
      envVersion: row.env_version, sandbox: row.sandbox, maxSteps: row.max_steps, createdAt: row.created_at,
      status: row.status, endedAt: row.ended_at, steps: row.steps, finalReward: row.final_reward, outcome: row.outcome,
      trajectory: steps.map((s) => ({
        index: s.idx, action: JSON.parse(s.action) as unknown, observationDigest: s.observation_digest, reward: s.reward,
        terminated: s.terminated === 1, truncated: s.truncated === 1, startedAt: s.started_at, durationMs: s.duration_ms,
      })),
      grades: grades.map((g) => ({
        step: g.step, kind: g.kind, contentHash: g.content_hash, reward: g.reward, outcome: g.outcome, cached: g.cached === 1,
        durationMs: g.duration_ms, grade: JSON.parse(g.grade) as unknown,
      })),
    };
  }

  close(): void {
    if (this.db?.open) this.db.close();
  }
}
