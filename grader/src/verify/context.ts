import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Ctx, VerifyCheck } from './types.ts';

const MAX_LISTED = 20;

export function listShort(ids: string[]): string {
  return ids.length <= MAX_LISTED ? ids.join('; ') : `${ids.slice(0, MAX_LISTED).join('; ')}; … (${ids.length - MAX_LISTED} more)`;
}

/** Runs one numbered step, reports its start and end, and records its check. */
export async function track<T extends VerifyCheck>(ctx: Ctx, label: string, fn: () => Promise<T>): Promise<T> {
  ctx.step += 1;
  const index = ctx.step;
  const started = performance.now();
  ctx.opts.progress?.({ index, total: ctx.total, label, phase: 'start' });
  const check = await fn();
  ctx.checks.push(check);
  ctx.opts.progress?.({
    index, total: ctx.total, label, phase: 'end', ok: check.ok,
    ...(check.detail ? { detail: check.detail } : {}),
    elapsedMs: performance.now() - started,
  });
  return check;
}

/** A new directory name in the scratch area; numbered so a kept scratch area reads in order. */
export function freshDir(ctx: Ctx, name: string): string {
  ctx.seq += 1;
  return path.join(ctx.tmp, `${String(ctx.seq).padStart(4, '0')}-${name}`);
}
