import { mayPassWhilePresent, selectBugs, type Manifest, type Results } from '@datanexus/grader';
import { EnvError } from '../errors.ts';

const SHOWN = 10;

function list(ids: string[]): string {
  const head = ids.slice(0, SHOWN).map((id) => `  ${id}`).join('\n');
  return ids.length > SHOWN ? `${head}\n  … and ${ids.length - SHOWN} more` : head;
}

/**
 * A task's baseline must fail exactly the failToPass tests of the bugs present in its tree (a
 * `bug:` task: its bug's; `full`: the union of every active bug's). Anything else means the run
 * did not measure the task (a server left in a bad state by someone else, a run cut short), and
 * grading against it would misprice every regression: ENV_ERR_INFRA with the difference, and the
 * caller does not cache it.
 */
export function checkBaseline(results: Results, manifest: Manifest, bugsPresent: readonly string[]): void {
  const present = selectBugs(manifest, bugsPresent);
  const expected = new Set(present.flatMap((b) => b.failToPass));
  // an intermittent test (docs/bug-validity.md) may pass unless another present bug fails it every time
  const mayPass = mayPassWhilePresent(present);
  const failing = new Set(results.tests.filter((t) => t.status !== 'passed').map((t) => t.id));
  const unexpected = [...failing].filter((id) => !expected.has(id)).sort();
  const notFailing = [...expected].filter((id) => !failing.has(id) && !mayPass.has(id)).sort();
  if (unexpected.length === 0 && notFailing.length === 0) return;
  const parts = [`the baseline of the task's pristine tree (bugs ${bugsPresent.join(', ') || 'none'}) is not what the manifest says it is: ${failing.size} tests fail, ${expected.size} should`];
  if (unexpected.length > 0) parts.push(`failing but not expected to (${unexpected.length}):\n${list(unexpected)}`);
  if (notFailing.length > 0) parts.push(`expected to fail but did not (${notFailing.length}):\n${list(notFailing)}`);
  throw new EnvError('ENV_ERR_INFRA', parts.join('\n'), { details: { unexpected, notFailing } });
}
