import { rm } from 'node:fs/promises';
import { KIND_LABEL, patchTextProblems, samePatchedContent, variantFile, variantStaticProblems } from '../fix-variants.ts';
import { activeBugs, variantsOf, type BugEntry } from '../manifest.ts';
import { applyFix, applyPatchFile, copyTarget, fixPath, patchedFiles, readFix } from '../materialize.ts';
import { freshDir, listShort, track } from './context.ts';
import type { Ctx } from './types.ts';

export type NoteFn = (bug: string, problem: string) => void;

/** Static checks of one bug's gold fix: present, recorded sha, LF only, touches only its listed files and nothing grading restores. */
async function goldProblems(bug: BugEntry, fixesDir: string, inventory: Set<string>): Promise<string[]> {
  let patch: Buffer;
  try {
    patch = await readFix(bug, fixesDir);
  } catch (err) {
    return [(err as Error).message];
  }
  const problems = patchTextProblems(bug.fix, patch);
  const touched = patchedFiles(patch.toString('utf8'));
  for (const f of touched) if (!bug.files.includes(f)) problems.push(`${bug.fix} changes ${f}, which is not in the entry's "files"`);
  for (const f of bug.files) if (!touched.includes(f)) problems.push(`"files" lists ${f}, which ${bug.fix} does not change`);
  for (const id of bug.failToPass) if (!inventory.has(id)) problems.push(`failToPass test is not in the pristine suite: ${id}`);
  return problems;
}

/** Step: static checks of every selected bug's gold fix, alternatives and wrong fixes. */
export async function staticStep(ctx: Ctx, selected: BugEntry[], note: NoteFn): Promise<void> {
  const inventory = new Set(ctx.inventory);
  await track(ctx, `static checks of ${selected.length} bug(s)' patches`, async () => {
    const bad: string[] = [];
    for (const bug of selected) {
      const problems = [...await goldProblems(bug, ctx.fixesDir, inventory), ...await variantStaticProblems(bug, ctx.manifestDir)];
      for (const p of problems) {
        note(bug.id, p);
        bad.push(`${bug.id}: ${p}`);
      }
    }
    return { step: 'static', label: 'static', ok: bad.length === 0, ...(bad.length > 0 ? { detail: listShort(bad) } : {}) };
  });
}

/** Each selected bug's patches apply to the shipped target alone; an alternative is not the gold fix again. */
async function aloneProblems(ctx: Ctx, shipped: string, bug: BugEntry): Promise<string[]> {
  const problems: string[] = [];
  const gold = fixPath(bug, ctx.fixesDir);
  try {
    await applyPatchFile(shipped, gold, bug.fix, { check: true });
  } catch (err) {
    problems.push(`fix does not apply to the shipped target alone: ${(err as Error).message}`);
  }
  for (const kind of ['alternative', 'wrong-fix'] as const) {
    for (const v of variantsOf(bug, kind)) {
      const file = variantFile(ctx.manifestDir, v);
      try {
        await applyPatchFile(shipped, file, `${KIND_LABEL[kind]} ${v.patch}`, { check: true });
      } catch (err) {
        problems.push(`${(err as Error).message.split('\n')[0]} (to the shipped target alone)`);
        continue;
      }
      // a gold fix that does not apply is reported above; then there is nothing to compare with
      const same = kind === 'alternative' && (await samePatchedContent(shipped, gold, file).catch(() => false));
      if (same) problems.push(`alternative ${v.patch} produces the same code as the gold fix: an alternative must differ in form`);
    }
  }
  return problems;
}

/** Step: patches apply alone; all gold fixes apply together in manifest order and in reverse. */
export async function applyStep(ctx: Ctx, selected: BugEntry[], note: NoteFn, manifestProblems: string[]): Promise<void> {
  await track(ctx, 'patches apply alone, fixes apply together', async () => {
    const bad: string[] = [];
    const shipped = freshDir(ctx, 'shipped-copy');
    await copyTarget(ctx.targetDir, shipped);
    for (const bug of selected) {
      for (const p of await aloneProblems(ctx, shipped, bug)) {
        note(bug.id, p);
        bad.push(`${bug.id}: ${p}`);
      }
    }
    await rm(shipped, { recursive: true, force: true });
    const all = activeBugs(ctx.manifest);
    for (const [name, order] of [['manifest order', all], ['reverse order', [...all].reverse()]] as const) {
      const dir = freshDir(ctx, 'together');
      await copyTarget(ctx.targetDir, dir);
      for (const bug of order) {
        try {
          await applyFix(dir, bug, ctx.fixesDir);
        } catch (err) {
          const p = `all fixes together (${name}): ${(err as Error).message}`;
          bad.push(p);
          manifestProblems.push(p);
          break;
        }
      }
      await rm(dir, { recursive: true, force: true });
    }
    return { step: 'apply', label: 'apply', ok: bad.length === 0, ...(bad.length > 0 ? { detail: listShort(bad) } : {}) };
  });
}
