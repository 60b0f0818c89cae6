import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { GraderError } from '../errors.ts';
import { codeOfLines } from './code.ts';
import { parseUnifiedDiff, type FileChange } from './patch.ts';
import { SCREEN_RULES, type ScreenRule } from './rules.ts';

const run = promisify(execFile);

export interface ScreenFinding {
  file: string;
  line: number;
  rule: string;
  /** What the rule refuses, for the observation. */
  reason: string;
  /** The matched text (at most 80 characters). */
  match: string;
}

/** Source files the screen reads: code outside the tests (tests and configs are restored pristine anyway). */
export function isScreenedFile(rel: string): boolean {
  const parts = rel.split('/');
  if (parts[0] === 'tests' || parts.includes('node_modules') || parts.includes('__mocks__')) return false;
  if (/\.(?:test|spec)\.[cm]?[jt]sx?$/.test(rel)) return false;
  return /\.[cm]?[jt]sx?$/.test(rel);
}

function matchesOf(rule: ScreenRule, code: string): string[] {
  const global = new RegExp(rule.pattern.source, rule.pattern.flags.includes('g') ? rule.pattern.flags : `${rule.pattern.flags}g`);
  return [...code.matchAll(global)].map((m) => m[0]);
}

/**
 * Findings in the added lines of one file. A match whose text the same change also removed is an
 * edit of a line that already did it (the pristine code), not something the agent brought in.
 */
export function screenChange(change: FileChange, rules: readonly ScreenRule[] = SCREEN_RULES): ScreenFinding[] {
  if (!isScreenedFile(change.file) || change.added.size === 0) return [];
  const numbers = [...change.shown.keys()].sort((a, b) => a - b);
  const lines: Array<string | null> = [];
  const index = new Map<number, number>();
  numbers.forEach((n, i) => {
    if (i > 0 && n !== numbers[i - 1]! + 1) lines.push(null);
    index.set(n, lines.length);
    lines.push(change.shown.get(n)!);
  });
  const code = codeOfLines(lines);
  const removedCode = codeOfLines(change.removed).join('\n');
  const findings: ScreenFinding[] = [];
  for (const n of [...change.added].sort((a, b) => a - b)) {
    const text = code[index.get(n)!] ?? '';
    for (const rule of rules) {
      for (const match of matchesOf(rule, text)) {
        if (matchesOf(rule, removedCode).includes(match)) continue;
        findings.push({ file: change.file, line: n, rule: rule.id, reason: rule.description, match: match.slice(0, 80) });
        break;
      }
    }
  }
  return findings;
}

/** Findings of a unified diff (a fix patch, relative to the target root). */
export function screenPatchText(text: string, rules: readonly ScreenRule[] = SCREEN_RULES): ScreenFinding[] {
  return parseUnifiedDiff(text).flatMap((c) => screenChange(c, rules));
}

async function gitDiff(before: string, after: string): Promise<string> {
  try {
    const { stdout } = await run('git', ['diff', '--no-index', '--no-color', '--no-ext-diff', '--text', '-U1000000', '--', before, after], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    // git diff --no-index exits 1 when the files differ: that is the answer, not a failure
    const e = err as { code?: number; stdout?: string; message?: string };
    if (e.code === 1 && typeof e.stdout === 'string') return e.stdout;
    throw new GraderError('GRADER_ERR_INTERNAL', `git diff failed: ${e.message ?? String(err)}`, { cause: err });
  }
}

/**
 * Findings of a tree against its pristine task tree, over `files` (paths relative to both; the
 * grade's overlay lists the ones the agent changed). A file missing from the pristine tree is
 * entirely added; a file missing from the tree (deleted) adds nothing.
 */
export async function screenTree(pristineDir: string, treeDir: string, files: readonly string[], rules: readonly ScreenRule[] = SCREEN_RULES): Promise<ScreenFinding[]> {
  const findings: ScreenFinding[] = [];
  for (const rel of [...files].sort()) {
    if (!isScreenedFile(rel)) continue;
    const after = path.join(treeDir, rel);
    if (!existsSync(after)) continue;
    const before = path.join(pristineDir, rel);
    const diff = await gitDiff(existsSync(before) ? before : '/dev/null', after);
    for (const change of parseUnifiedDiff(diff, () => rel)) findings.push(...screenChange(change, rules));
  }
  return findings;
}

/** Findings of patch files (paths as given), each finding's file prefixed with its patch. */
export async function screenPatchFiles(patches: readonly string[], rules: readonly ScreenRule[] = SCREEN_RULES): Promise<Array<ScreenFinding & { patch: string }>> {
  const out: Array<ScreenFinding & { patch: string }> = [];
  for (const p of patches) {
    const text = await readFile(p, 'utf8');
    for (const f of screenPatchText(text, rules)) out.push({ ...f, patch: p });
  }
  return out;
}
