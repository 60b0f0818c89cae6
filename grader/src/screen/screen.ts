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
 * Findings in the added lines of one file. A match whose text the file already had (in the lines
 * the change kept or removed) or that the change removed from another file (`removedElsewhere`:
 * code moved between files) is an edit of pristine code that already did it, not something the
 * agent brought in: a repair of a vm-based sandbox calls the vm as the pristine file did.
 */
export function screenChange(change: FileChange, rules: readonly ScreenRule[] = SCREEN_RULES, removedElsewhere = ''): ScreenFinding[] {
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
  const kept = numbers.filter((n) => !change.added.has(n)).map((n) => code[index.get(n)!] ?? '');
  const pristineCode = `${kept.join('\n')}\n${codeOfLines(change.removed).join('\n')}\n${removedElsewhere}`;
  // each rule's matches in the pristine code, found once per file (it is the whole file when an
  // agent's tree is screened), not once per added line
  const pristineMatches = new Map<string, Set<string>>();
  const inPristine = (rule: ScreenRule, match: string): boolean => {
    let found = pristineMatches.get(rule.id);
    if (!found) pristineMatches.set(rule.id, (found = new Set(matchesOf(rule, pristineCode))));
    return found.has(match);
  };
  const findings: ScreenFinding[] = [];
  for (const n of [...change.added].sort((a, b) => a - b)) {
    const text = code[index.get(n)!] ?? '';
    for (const rule of rules) {
      for (const match of matchesOf(rule, text)) {
        if (inPristine(rule, match)) continue;
        findings.push({ file: change.file, line: n, rule: rule.id, reason: rule.description, match: match.slice(0, 80) });
        break;
      }
    }
  }
  return findings;
}

/** Findings of every file of one change, code removed anywhere in it counting as pristine. */
export function screenChanges(changes: readonly FileChange[], rules: readonly ScreenRule[] = SCREEN_RULES): ScreenFinding[] {
  const removed = changes.filter((c) => isScreenedFile(c.file)).map((c) => codeOfLines(c.removed).join('\n')).join('\n');
  return changes.flatMap((c) => screenChange(c, rules, removed));
}

/** Findings of a unified diff (a fix patch, relative to the target root). */
export function screenPatchText(text: string, rules: readonly ScreenRule[] = SCREEN_RULES): ScreenFinding[] {
  return screenChanges(parseUnifiedDiff(text), rules);
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
 * entirely added; a file missing from the tree (deleted) adds nothing and removes all it had.
 */
export async function screenTree(pristineDir: string, treeDir: string, files: readonly string[], rules: readonly ScreenRule[] = SCREEN_RULES): Promise<ScreenFinding[]> {
  const changes: FileChange[] = [];
  for (const rel of [...files].sort()) {
    if (!isScreenedFile(rel)) continue;
    const before = path.join(pristineDir, rel);
    const after = path.join(treeDir, rel);
    if (!existsSync(before) && !existsSync(after)) continue;
    // a deleted file adds nothing, but what it removed counts as pristine code moved elsewhere
    const diff = await gitDiff(existsSync(before) ? before : '/dev/null', existsSync(after) ? after : '/dev/null');
    changes.push(...parseUnifiedDiff(diff, () => rel));
  }
  return screenChanges(changes, rules);
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
