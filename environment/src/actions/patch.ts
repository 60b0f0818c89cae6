import type { Patch } from '../schemas/actions.ts';
import type { PatchObs } from '../schemas/observations.ts';
import { commitPlan, PatchApplyError, planPatch } from '../workspace/diff-apply.ts';
import { parseUnifiedDiff, PatchParseError, type FilePatch } from '../workspace/diff-parse.ts';
import { type ActionContext, obsError } from './context.ts';

/**
 * Applies a unified diff to the workspace, entirely or not at all. A patch that names a path
 * outside the workspace is refused as a request error (400); one that is malformed or does not
 * match the files is an observation the agent can learn from, and changes nothing.
 */
export async function patchAction(ctx: ActionContext, action: Patch): Promise<PatchObs> {
  let patches: FilePatch[];
  try {
    patches = parseUnifiedDiff(action.diff);
  } catch (err) {
    if (err instanceof PatchParseError) return { type: 'patch', ok: false, error: obsError('patch_malformed', err.message) };
    throw err;
  }
  try {
    const { planned, changes } = await planPatch(ctx.roots, patches);
    await commitPlan(planned, ctx.uid);
    return { type: 'patch', ok: true, files: changes };
  } catch (err) {
    if (err instanceof PatchApplyError) return { type: 'patch', ok: false, error: obsError('patch_does_not_apply', err.message) };
    throw err;
  }
}
