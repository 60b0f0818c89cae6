import { spawn, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import type { Listener } from './netns.ts';

/** A request that has not finished in this long means a stuck program: it is killed and the next request starts another. */
const REQUEST_TIMEOUT_MS = 15_000;

/** What the program sends: an address's report (with a net.Server handle when it listens), or a request's last line. */
type Reply = { host: string; port: number; error?: string } | { done?: boolean; error?: string; reports: number };

interface Pending {
  /** The program the request went to. */
  child: ChildProcess;
  listeners: Listener[];
  reports: number;
  /** Set by the request's last line: how many address reports precede it, and its error if it failed. */
  end?: { reports: number; error?: string; ended?: boolean };
  settle: () => void;
}

/** The program ended before it answered anything: the request may go to a new one. */
class ProgramEnded extends Error {}

/**
 * One `dn-netns serve` process (environment/native/dn-netns.c) for the whole server: it opens and
 * deletes principals' network namespaces on request over Node's IPC channel. Forking the server
 * blocks its event loop for 10-25 ms per process start (docs/isolation.md, "What the defences
 * cost"); a principal made beside a reset would make the reset wait that long, twice per principal
 * (open and delete). Requests go one at a time, as the program serves them.
 */
export class NetnsDaemon {
  private child: ChildProcess | null = null;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly program: string) {}

  /** Opens `dn-NAME` with a listening socket per address that could be bound inside; rejects (nothing left behind) if the namespace fails. */
  open(name: string, addresses: [string, number][]): Promise<Listener[]> {
    return this.serialized(() => this.request(['open', name, ...addresses.map(([h, p]) => `${h}:${p}`)]));
  }

  delete(name: string): Promise<void> {
    return this.serialized(async () => {
      await this.request(['delete', name]);
    });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private start(): ChildProcess {
    const child = spawn(this.program, ['serve'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.on('message', (m: Reply, server?: net.Server) => this.onMessage(m, server));
    child.on('error', () => undefined); // 'exit' follows, and settles the request
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      const p = this.pending;
      if (p && p.child === child && !p.end) {
        p.end = { reports: p.reports, error: `dn-netns serve ended (${signal ?? `exit ${code}`}): ${stderr.trim().slice(0, 500)}`, ended: true };
        p.settle();
      }
    });
    // the program must not keep a finished server alive; a pending request holds its own timer
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    return child;
  }

  private onMessage(m: Reply, server?: net.Server): void {
    const p = this.pending;
    if (!p) {
      server?.close();
      return;
    }
    if ('reports' in m) p.end = { reports: m.reports, ...(m.error ? { error: m.error } : {}) };
    else {
      p.reports += 1;
      if (server) p.listeners.push({ host: m.host, port: m.port, server });
    }
    p.settle();
  }

  /**
   * Sends one request and waits for its last line and every address report before it (a handle's
   * `message` comes only once Node has listened on it, which may be after the last line). A
   * program that ended unnoticed (killed, crashed) before answering gets the request sent to a new one.
   */
  private async request(words: string[]): Promise<Listener[]> {
    try {
      return await this.requestOnce(words);
    } catch (err) {
      if (!(err instanceof ProgramEnded)) throw err;
      return this.requestOnce(words);
    }
  }

  private requestOnce(words: string[]): Promise<Listener[]> {
    this.child ??= this.start(); // its 'exit' (or a request that saw it end) clears it
    const child = this.child;
    return new Promise<Listener[]>((resolve, reject) => {
      const p: Pending = {
        child,
        listeners: [],
        reports: 0,
        settle: () => {
          if (!p.end || (p.reports < p.end.reports && !timedOut)) return;
          clearTimeout(timer);
          this.pending = null;
          if (!p.end.error) return resolve(p.listeners);
          for (const l of p.listeners) l.server.close();
          if (p.end.ended && this.child === child) this.child = null; // its 'exit' may not have come yet
          const message = `dn-netns ${words.slice(0, 2).join(' ')}: ${p.end.error}`;
          reject(p.end.ended && p.reports === 0 ? new ProgramEnded(message) : new Error(message));
        },
      };
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        p.end ??= { reports: p.reports, error: `no answer within ${REQUEST_TIMEOUT_MS} ms` };
        if (this.child === child) this.child = null; // the next request starts another
        child.kill('SIGKILL');
        p.settle();
      }, REQUEST_TIMEOUT_MS);
      this.pending = p;
      child.send(words.join(' '), (err) => {
        if (err && !p.end) {
          p.end = { reports: p.reports, error: `could not send the request: ${err.message}`, ended: true };
          p.settle();
        }
      });
    });
  }
}
