import type { Action } from '../../schemas/actions.ts';
import type { Agent, AgentSession, EpisodeContext } from './types.ts';

// The ceiling and the baseline. Versions change when the behaviour does, so records stay honest.

/** Applies the gold fix of every bug in the task, one `patch` action each, then submits. */
export const oracleAgent: Agent = {
  name: 'oracle',
  version: '1',
  async start(ctx: EpisodeContext): Promise<AgentSession> {
    const actions: Action[] = [];
    for (const bug of ctx.bugs) actions.push({ type: 'patch', diff: await ctx.fixOf(bug.id) });
    actions.push({ type: 'submit' });
    return {
      async next() {
        // submit again if the runner asks for more (a refused step is retried by the runner itself)
        return actions.shift() ?? { type: 'submit' };
      },
      async end() {},
    };
  },
};

/** Submits at once. */
export const noopAgent: Agent = {
  name: 'noop',
  version: '1',
  async start(): Promise<AgentSession> {
    return { next: async () => ({ type: 'submit' }), end: async () => {} };
  },
};
