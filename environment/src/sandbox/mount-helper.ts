import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { EnvError } from '../errors.ts';

// Mounting and detaching workspace file systems through one long-lived `dn-launch serve` instead
// of a process start per mount: a start is a few milliseconds quiet and tens under load, and every
// reset mounts a workspace (docs/resource-limits.md, "Starting a run"). Requests go one per line
// on the helper's stdin and are answered in order, one line each. A helper that dies fails what
// was waiting on it, and the next request starts a new one.

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Helper {
  child: ChildProcess;
  /** This helper's requests still unanswered, oldest first. */
  queue: Pending[];
}

export class MountHelper {
  private current: Helper | undefined;

  constructor(private readonly launcher: string) {}

  mountTmpfs(dir: string, sizeBytes: number, inodes: number): Promise<void> {
    return this.request(['mount-tmpfs', dir, String(sizeBytes), String(inodes)]);
  }

  umount(dirs: readonly string[]): Promise<void> {
    return this.request(['umount', ...dirs]);
  }

  /** Ends the helper (it exits at the end of its input) after it has answered what it was asked. */
  close(): void {
    this.current?.child.stdin?.end();
    this.current = undefined;
  }

  private request(fields: string[]): Promise<void> {
    // the protocol separates fields by tabs and requests by newlines; paths here are the server's own
    if (fields.some((f) => /[\t\n]/.test(f))) return Promise.reject(new EnvError('ENV_ERR_INTERNAL', `a mount path with a tab or newline: ${JSON.stringify(fields)}`));
    const helper = this.started();
    return new Promise((resolve, reject) => {
      if (helper.queue.length === 0) hold(helper, true);
      helper.queue.push({ resolve, reject });
      helper.child.stdin!.write(`${fields.join('\t')}\n`);
    });
  }

  private started(): Helper {
    if (this.current) return this.current;
    const child = spawn(this.launcher, ['serve'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const helper: Helper = { child, queue: [] };
    child.stdin!.on('error', () => {
      // EPIPE: the helper died; 'close' fails what is waiting
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const p = helper.queue.shift();
      if (!p) return;
      if (helper.queue.length === 0) hold(helper, false);
      if (line === 'ok') p.resolve();
      else p.reject(new EnvError('ENV_ERR_INFRA', `dn-launch: ${line.replace(/^error /, '')}`));
    });
    const failAll = (why: string): void => {
      if (this.current === helper) this.current = undefined;
      for (const p of helper.queue.splice(0)) p.reject(new EnvError('ENV_ERR_INFRA', why));
    };
    child.on('error', (err) => failAll(`the mount helper could not run: ${err.message}`));
    // 'close', not 'exit': every answer it wrote has been read by then
    child.on('close', (code, signal) => failAll(`the mount helper ended (${signal ?? code}) with requests unanswered`));
    hold(helper, false);
    this.current = helper;
    return helper;
  }
}

/**
 * An idle helper never keeps the server's process alive (it exits when its stdin closes); one with
 * requests waiting does, or a process with nothing else to do would exit in the middle of a mount.
 */
function hold(helper: Helper, busy: boolean): void {
  for (const h of [helper.child, helper.child.stdin, helper.child.stdout] as unknown as { ref?: () => void; unref?: () => void }[]) {
    if (busy) h?.ref?.();
    else h?.unref?.();
  }
}
