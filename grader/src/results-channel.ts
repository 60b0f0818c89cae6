import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The grader's runtime files (the jest parent's entry), mounted read-only into sandboxes. */
export const GRADER_RUNTIME_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'runtime');
export const JEST_PARENT_ENTRY = path.join(GRADER_RUNTIME_DIR, 'jest-parent.cjs');
/** Environment variable that tells the jest parent which fd its results channel is. */
export const RESULTS_FD_ENV = 'DN_RESULTS_FD';

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/**
 * One run's results channel: a FIFO (a real pipe, so the child can re-open it close-on-exec
 * through /proc/self/fd, which a socketpair would refuse), created in a private directory and
 * unlinked at once. The child gets the write end as an inherited fd; nobody else can open it.
 */
export interface ResultsChannel {
  /** The write end, to pass in the child's stdio. Close it with `spawned()` once the child has it. */
  readonly writeFd: number;
  /** Drops the host's copy of the write end: from now on EOF means every writer is gone. */
  spawned(): void;
  /** Everything written, once every writer has closed; `graceMs` bounds the wait (call it after the child exited). */
  collect(graceMs: number): Promise<{ text: string; complete: boolean }>;
  /** Closes both ends (error paths). */
  close(): void;
}

export function openResultsChannel(maxBytes = DEFAULT_MAX_BYTES): ResultsChannel {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dn-results-'));
  const fifo = path.join(dir, 'results');
  let readFd = -1;
  let writeFd = -1;
  try {
    // writable by others: the child re-opens it through /proc/self/fd, possibly as another uid (a
    // sandbox's). Nobody can reach it by name: its directory is private and it is unlinked below.
    execFileSync('mkfifo', ['-m', '622', fifo], { stdio: 'ignore' });
    readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    writeFd = openSync(fifo, constants.O_WRONLY);
  } catch (err) {
    if (readFd >= 0) closeSync(readFd);
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  let overflow = false;
  const endedP = new Promise<void>((resolve) => {
    reader.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        overflow = true;
        reader.destroy();
        return;
      }
      chunks.push(c);
    });
    reader.on('end', () => { ended = true; resolve(); });
    reader.on('close', () => resolve());
    reader.on('error', () => resolve());
  });
  let writerOpen = true;
  const closeWriter = (): void => {
    if (!writerOpen) return;
    writerOpen = false;
    closeSync(writeFd);
  };
  return {
    writeFd,
    spawned: closeWriter,
    async collect(graceMs) {
      closeWriter();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([endedP, new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); })]);
      clearTimeout(timer);
      reader.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), complete: ended && !overflow };
    },
    close() {
      closeWriter();
      reader.destroy();
    },
  };
}

/** What the jest parent said on its channel: whether it started, and its results document. */
export interface ChannelMessages {
  started: boolean;
  results?: unknown;
  runError?: string;
  /** Per test file (relative to the tree), what it depended on: only when the run recorded them. */
  deps?: unknown;
}

export function parseChannel(text: string | undefined): ChannelMessages {
  const out: ChannelMessages = { started: false };
  if (!text) return out;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      break; // a cut-off last line: the writer died mid-message
    }
    if (typeof msg !== 'object' || msg === null) continue;
    const m = msg as Record<string, unknown>;
    if (m.started === true) out.started = true;
    if ('results' in m) out.results = m.results;
    if (typeof m.runError === 'string') out.runError = m.runError;
    if ('deps' in m) out.deps = m.deps;
  }
  return out;
}
