import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import readline from 'node:readline';
import { EnvError } from '../../errors.ts';
import type { Action } from '../../schemas/actions.ts';
import type { Agent, AgentSession, EpisodeContext, EpisodeEnd, StepFeedback } from './types.ts';

// Any program as an agent, over JSON lines (documented in environment/README.md, "Evaluation").
// One process per episode, started with `bash -c <command>`:
//   runner → agent (stdin):  {"type":"reset",task,seed,observation,info}
//                            {"type":"step",observation,reward,terminated,truncated,info}
//                            {"type":"refused",status,code,message}   (no step was used)
//                            {"type":"end",outcome,reward,steps}      (then stdin closes)
//   agent → runner (stdout): {"action":{…}} for each message but "end"
// The agent's stderr goes to a log file. An agent that exits, prints something that is not an
// action line, or stays silent past the timeout is stopped (AgentProtocolError) and the runner
// submits on its behalf, so the work it did is still graded.

export class AgentProtocolError extends Error {
  override readonly name = 'AgentProtocolError';
  readonly code = 'AGENT_PROTOCOL';
}

export interface ExternalAgentOptions {
  command: string;
  name?: string;
  version?: string;
  /** How long the agent may think about one action. */
  actionTimeoutMs?: number;
  /** Where the agent's stderr goes, per episode. */
  logFile?: (ctx: EpisodeContext) => string;
}

function parseActionLine(line: string): Action {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    throw new AgentProtocolError(`the agent printed a line that is not JSON: ${line.slice(0, 200)}`);
  }
  const action = (data as { action?: unknown } | null)?.action;
  if (typeof action !== 'object' || action === null || typeof (action as { type?: unknown }).type !== 'string') {
    throw new AgentProtocolError(`expected {"action":{"type":…}}, got ${line.slice(0, 200)}`);
  }
  // the server validates the rest: a bad action comes back to the agent as "refused"
  return action as Action;
}

export function externalAgent(opts: ExternalAgentOptions): Agent {
  if (opts.command.trim() === '') throw new EnvError('ENV_ERR_INVALID_OPTION', '--agent-cmd: expected the command that starts the agent');
  const timeoutMs = opts.actionTimeoutMs ?? 10 * 60_000;
  return {
    name: opts.name ?? 'external',
    version: opts.version ?? '0',
    async start(ctx: EpisodeContext): Promise<AgentSession> {
      // its own process group, so stopping it stops whatever it started too
      const child = spawn('bash', ['-c', opts.command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, DN_TASK: ctx.task, DN_SEED: String(ctx.seed) } });
      const killGroup = (): void => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      if (opts.logFile) child.stderr.pipe(createWriteStream(opts.logFile(ctx)));
      else child.stderr.resume();
      const stdin = child.stdin;
      stdin.on('error', () => {}); // an agent that exits early: the next read says so
      const exited = once(child, 'exit');
      const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const send = (msg: unknown): void => {
        if (stdin.writable) stdin.write(`${JSON.stringify(msg)}\n`);
      };
      const readAction = async (): Promise<Action> => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new AgentProtocolError(`the agent sent no action within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          const next = await Promise.race([lines.next(), timeout]);
          if (next.done) throw new AgentProtocolError('the agent closed its output (exited) before the episode ended');
          return parseActionLine(next.value);
        } finally {
          clearTimeout(timer);
        }
      };
      send({ type: 'reset', task: ctx.task, seed: ctx.seed, observation: ctx.reset.observation, info: ctx.reset.info });
      return {
        async next(last: StepFeedback | null): Promise<Action> {
          if (last?.kind === 'step') send({ type: 'step', ...last.response });
          else if (last?.kind === 'refused') send({ type: 'refused', status: last.status, code: last.code, message: last.message });
          return readAction();
        },
        async end(summary: EpisodeEnd): Promise<void> {
          send({ type: 'end', ...summary });
          stdin.end();
          // give it the action timeout to exit on its own, then stop it
          const timer = setTimeout(killGroup, Math.min(timeoutMs, 10_000));
          if (child.exitCode === null && child.signalCode === null) await exited;
          clearTimeout(timer);
          killGroup(); // anything it left running in the background
        },
      };
    },
  };
}
