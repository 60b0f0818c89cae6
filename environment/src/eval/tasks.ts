import { EnvError } from '../errors.ts';

// --tasks: a comma-separated list of task ids and globs (`bug:*`, `bug:L?`, `full`), matched
// against the server's catalogue. Every pattern must match something, so a typo is an error,
// not a silently smaller run.

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function selectTasks(spec: string, catalogue: readonly string[]): string[] {
  const patterns = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (patterns.length === 0) throw new EnvError('ENV_ERR_INVALID_OPTION', '--tasks: expected task ids or globs, e.g. bug:L5,bug:X* or full');
  const chosen: string[] = [];
  for (const p of patterns) {
    const re = globToRegExp(p);
    const matches = catalogue.filter((t) => re.test(t));
    if (matches.length === 0) {
      throw new EnvError('ENV_ERR_INVALID_OPTION', `--tasks: "${p}" matches no task of the server (it has ${catalogue.length}: ${catalogue.slice(0, 8).join(', ')}${catalogue.length > 8 ? ', …' : ''})`);
    }
    for (const m of matches) if (!chosen.includes(m)) chosen.push(m);
  }
  return chosen;
}
