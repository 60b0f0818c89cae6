import { mulberry32, seedOf } from '@datanexus/grader';
import type { Action } from '../../schemas/actions.ts';
import type { StepResponseT } from '../../schemas/api.ts';
import type { Agent, AgentSession, EpisodeContext, StepFeedback } from './types.ts';

// The floor: plausible but aimless work. It lists the workspace, then reads source files, searches
// for common words, runs harmless commands and makes one-line edits (swapping a comparison or an
// arithmetic operator) at random, then submits before the step budget runs out. Seeded by the
// episode's task and seed, so a run is reproducible.

const WORDS = ['function', 'return', 'require', 'async', 'throw', 'length', 'await', 'error', 'config', 'null'];
const SWAPS: Array<[RegExp, string]> = [[/ <= /, ' < '], [/ < /, ' <= '], [/ >= /, ' > '], [/ > /, ' >= '], [/ === /, ' !== '], [/ \+ 1/, ' - 1'], [/ - 1/, ' + 1']];
const MAX_ACTIONS = 8;

interface State {
  rand: () => number;
  files: string[];
  read: Map<string, string[]>;
}

const pick = <T>(s: State, xs: readonly T[]): T => xs[Math.floor(s.rand() * xs.length)]!;

function remember(s: State, res: StepResponseT): void {
  const obs = res.observation;
  if (obs.type === 'list_files' && obs.ok) s.files = (obs.entries ?? []).filter((e) => e.endsWith('.js') && !e.startsWith('node_modules/')).sort();
  // only a complete read gives the true line numbers a one-line hunk needs
  if (obs.type === 'read_file' && obs.ok && !obs.truncated && obs.startLine === 1 && obs.content !== undefined) s.read.set(obs.path, obs.content.split('\n'));
}

/** A one-line unified diff that swaps an operator in a line read before; undefined when no line has one. */
function oneLineEdit(s: State): Action | undefined {
  const candidates: Array<{ file: string; line: number; from: string; to: string }> = [];
  for (const [file, lines] of [...s.read].sort(([a], [b]) => a.localeCompare(b))) {
    if (file.startsWith('tests/')) continue; // edit the code under test, not its tests
    lines.forEach((text, i) => {
      for (const [re, to] of SWAPS) if (re.test(text)) candidates.push({ file, line: i + 1, from: text, to: text.replace(re, to) });
    });
  }
  if (candidates.length === 0) return undefined;
  const c = pick(s, candidates);
  return { type: 'patch', diff: `--- a/${c.file}\n+++ b/${c.file}\n@@ -${c.line},1 +${c.line},1 @@\n-${c.from}\n+${c.to}\n` };
}

function randomAction(s: State): Action {
  const file = s.files.length > 0 ? pick(s, s.files) : undefined;
  const roll = s.rand();
  if (roll < 0.35 && file) return { type: 'read_file', path: file };
  if (roll < 0.55) return { type: 'search', pattern: pick(s, WORDS), ...(file ? { path: file.split('/')[0]! } : {}) };
  if (roll < 0.75) return { type: 'exec', command: pick(s, ['ls', 'node --version', 'git status --short 2>&1 | head -n 5', file ? `wc -l ${file}` : 'pwd', file ? `head -n 20 ${file}` : 'ls -a']), timeoutMs: 20_000 };
  return oneLineEdit(s) ?? (file ? { type: 'read_file', path: file } : { type: 'list_files' });
}

export const randomAgent: Agent = {
  name: 'random',
  version: '1',
  async start(ctx: EpisodeContext): Promise<AgentSession> {
    const s: State = { rand: mulberry32(seedOf(ctx.task, ctx.seed)), files: [], read: new Map() };
    // keep the last step for submit: the budget counts every action, submit included
    const budget = Math.max(0, Math.min(MAX_ACTIONS, ctx.reset.info.maxSteps - 1));
    const actions = budget === 0 ? 0 : 1 + Math.floor(s.rand() * budget);
    let taken = 0;
    return {
      async next(last: StepFeedback | null): Promise<Action> {
        if (last?.kind === 'step') remember(s, last.response);
        if (taken >= actions) return { type: 'submit' };
        taken += 1;
        return taken === 1 ? { type: 'list_files' } : randomAction(s);
      },
      async end() {},
    };
  },
};
