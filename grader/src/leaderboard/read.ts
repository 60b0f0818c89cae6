import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { GraderError } from '../errors.ts';
import { RUN_META_SCHEMA, validateEpisodeRecord, type EpisodeRecord } from './record.ts';

/** What `datanexus-env eval` writes next to episodes.jsonl: how the run was made. */
export interface RunMeta {
  schema: typeof RUN_META_SCHEMA;
  runId: string;
  agent: { name: string; version: string };
  tasks: string[];
  episodes: number;
  concurrency: number;
  startedAt: string;
  finishedAt: string | null;
  server: { url: string; started: boolean; envVersion: string; graderVersion: string; sandbox: string };
}

export interface LoadedRun {
  /** The directory as given on the command line. */
  dir: string;
  meta: RunMeta | null;
  records: EpisodeRecord[];
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GraderError('GRADER_ERR_RUN_INVALID', `${what}: ${file} does not exist (is it a run directory written by datanexus-env eval?)`);
    throw err;
  }
}

/** Reads a run directory (or an episodes.jsonl file): every line is checked, and a bad one is named by file and line. */
export async function readRun(dirOrFile: string): Promise<LoadedRun> {
  const isFile = (await stat(dirOrFile).catch(() => null))?.isFile() ?? false;
  const dir = isFile ? path.dirname(dirOrFile) : dirOrFile;
  const file = isFile ? dirOrFile : path.join(dir, 'episodes.jsonl');
  const text = await readText(file, 'run');
  const records: EpisodeRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (err) {
      throw new GraderError('GRADER_ERR_RUN_INVALID', `${file}:${i + 1}: not JSON: ${(err as Error).message}`);
    }
    records.push(validateEpisodeRecord(data, `${file}:${i + 1}`));
  });
  if (records.length === 0) throw new GraderError('GRADER_ERR_RUN_INVALID', `${file}: no episode records`);
  const metaFile = path.join(dir, 'run.json');
  const metaText = await readFile(metaFile, 'utf8').catch(() => null);
  let meta: RunMeta | null = null;
  if (metaText !== null) {
    try {
      meta = JSON.parse(metaText) as RunMeta;
    } catch (err) {
      throw new GraderError('GRADER_ERR_RUN_INVALID', `${metaFile}: not JSON: ${(err as Error).message}`);
    }
    if (meta.schema !== RUN_META_SCHEMA) throw new GraderError('GRADER_ERR_RUN_INVALID', `${metaFile}: schema "${String(meta.schema)}", expected "${RUN_META_SCHEMA}"`);
  }
  return { dir: dirOrFile, meta, records };
}
