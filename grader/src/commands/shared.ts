import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CATEGORIES, isCategory, type Category } from '../categories.ts';
import { GraderError } from '../errors.ts';
import { probeServers } from '../infra.ts';
import { readJsonFile } from '../manifest.ts';
import { validateResults } from '../results.ts';
import type { InfraError, Results } from '../types.ts';

/** What every command returns: the JSON document, a human rendering, and the exit code. */
export interface CommandOutcome<T> {
  exitCode: 0 | 1;
  json: T;
  text: string;
}

export interface CommonOptions {
  /** Relative paths in the options are resolved against it. */
  cwd: string;
}

export function resolveOpt(cwd: string, p: string | undefined): string | undefined {
  return p === undefined ? undefined : path.resolve(cwd, p);
}

export function parseCategory(value: string | undefined): Category | undefined {
  if (value === undefined) return undefined;
  if (!isCategory(value)) throw new GraderError('GRADER_ERR_INVALID_OPTION', `--category must be one of ${CATEGORIES.join(', ')}, got "${value}"`);
  return value;
}

export function parseBugList(value: string): string[] {
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0) throw new GraderError('GRADER_ERR_INVALID_OPTION', `expected a comma-separated list of bug ids, got "${value}"`);
  return ids;
}

export async function readResultsFile(file: string, label: string): Promise<Results> {
  return validateResults(await readJsonFile(file, label, 'GRADER_ERR_RESULTS_INVALID'), label);
}

export async function writeJsonAtomic(file: string, data: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
  await rename(tmp, file);
}

export function preflightFor(enabled: boolean | undefined): (() => Promise<InfraError | undefined>) | undefined {
  return enabled === false ? undefined : () => probeServers();
}
