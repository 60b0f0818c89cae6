import type { TaskBugInfo } from '@datanexus/grader';
import type { Action } from '../../schemas/actions.ts';
import type { ResetResponseT, StepResponseT } from '../../schemas/api.ts';

// An agent plays one episode at a time through a session: the runner hands it what the last step
// gave (or why the server refused it) and sends the action it returns. Agents never talk HTTP.

export interface EpisodeContext {
  task: string;
  seed: number;
  reset: ResetResponseT;
  /** The bugs of the task, from the host's manifest. */
  bugs: TaskBugInfo[];
  /** Gold fixes, read on the host (only the oracle uses them). */
  fixOf(id: string): Promise<string>;
}

/** What the last action produced: a step response, or the server's refusal (4xx: no step used). */
export type StepFeedback =
  | { kind: 'step'; response: StepResponseT }
  | { kind: 'refused'; status: number; code: string; message: string };

export interface EpisodeEnd {
  outcome: string;
  reward: number | null;
  steps: number;
}

export interface AgentSession {
  next(last: StepFeedback | null): Promise<Action>;
  /** Called once when the episode is over (or failed): release what the session holds. */
  end(summary: EpisodeEnd): Promise<void>;
}

export interface Agent {
  readonly name: string;
  readonly version: string;
  start(ctx: EpisodeContext): Promise<AgentSession>;
}
