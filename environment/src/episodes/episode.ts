import type { GradeReport } from '../grading/service.ts';
import type { Task, TaskTree } from '../grading/tasks.ts';
import type { EpisodeStatusT } from '../schemas/api.ts';
import type { Mount, UidLease } from '../sandbox/types.ts';
import type { Namespace } from './namespace.ts';

export interface EpisodeResources {
  /** Host directory holding workspace/, data/ and report/. */
  dir: string;
  workspace: string;
  dataDir: string;
  uid: UidLease | null;
  ns: Namespace | null;
  env: Record<string, string>;
  mounts: Mount[];
}

/** One episode: its task, its budget and state, and (while it runs) its workspace and namespace. */
export class Episode {
  status: EpisodeStatusT = 'starting';
  steps = 0;
  busy = false;
  /** The request being handled, so close() can wait for it after cancelling its run. */
  inflight: Promise<unknown> | undefined;
  finalReport: GradeReport | undefined;
  /** The budget ran out but grading failed for infrastructure reasons: the next step only grades. */
  gradePending = false;
  resources: EpisodeResources | undefined;
  tree: TaskTree | undefined;
  readonly abort = new AbortController();
  lastActive: number;

  constructor(
    readonly id: string,
    readonly task: Task,
    readonly seed: number,
    readonly maxSteps: number,
    readonly createdAt: number,
  ) {
    this.lastActive = createdAt;
  }

  get ended(): boolean {
    return this.status !== 'running' && this.status !== 'starting';
  }

  /**
   * Replaces the namespace id, and the principal's name and password, random and different every
   * episode, by fixed names in what the agent sees. The id contains the principal's name, so it
   * goes first.
   */
  redact(text: string): string {
    const ns = this.resources?.ns;
    let out = text;
    for (const [real, shown] of [[ns?.id, 'dn_episode'], ...(ns?.redactions ?? [])]) {
      if (real && out.includes(real)) out = out.split(real).join(shown!);
    }
    return out;
  }
}
