import type { FastifyBaseLogger } from 'fastify';
import { createIsolatedNamespace } from '../principals/episode-namespace.ts';
import type { Principals } from '../principals/index.ts';
import { errorMessage } from '../util.ts';
import { createEpisodeNamespace, sweepAbandonedNamespaces, type Namespace } from './namespace.ts';

/**
 * Creating a namespace (four CREATE DATABASE, a vhost) takes seconds and dropping one as long, so
 * a few are kept ready and drops happen after the response. Shutdown waits for the drops.
 */
export class NamespacePool {
  private readonly ready: Namespace[] = [];
  private filling = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;
  private swept = false;

  constructor(
    private readonly modulePath: string,
    private readonly databases: string[],
    private readonly size: number,
    private readonly log: FastifyBaseLogger,
    /** Set when sandboxes are network-isolated: each namespace then comes with a principal of its own. */
    private readonly principals: Principals | null = null,
  ) {}

  private create(): Promise<Namespace> {
    return this.principals
      ? createIsolatedNamespace(this.principals, this.modulePath, this.databases)
      : createEpisodeNamespace(this.modulePath, this.databases);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  /** Tops the pool up in the background; the first call also sweeps what killed servers left. */
  fill(): void {
    if (!this.swept) {
      this.swept = true;
      this.track(sweepAbandonedNamespaces(this.modulePath))
        .then((r) => {
          if (r && (r.dropped.length > 0 || r.failed.length > 0)) this.log.info({ dropped: r.dropped, failed: r.failed }, 'swept abandoned namespaces');
        })
        .catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'could not sweep abandoned namespaces'));
      if (this.principals) {
        this.track(this.principals.sweep())
          .then((dropped) => dropped.length > 0 && this.log.info({ dropped }, 'swept abandoned principals'))
          .catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'could not sweep abandoned principals'));
      }
    }
    while (!this.closed && this.ready.length + this.filling < this.size) {
      this.filling += 1;
      this.track(this.create())
        .then((ns) => {
          if (this.closed) return this.drop(ns);
          this.ready.push(ns);
          return undefined;
        })
        .catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'could not prepare a namespace'))
        .finally(() => {
          this.filling -= 1;
        });
    }
  }

  async acquire(): Promise<Namespace> {
    const ns = this.ready.shift();
    this.fill();
    return ns ?? this.create();
  }

  /** Drops a namespace after the caller has moved on. */
  drop(ns: Namespace): Promise<void> {
    return this.track(ns.drop().catch((err: unknown) => this.log.warn({ namespace: ns.id, err: errorMessage(err) }, 'namespace not dropped cleanly')));
  }

  /** Every drop and creation started so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    await Promise.all(this.ready.splice(0).map((ns) => this.drop(ns)));
  }
}
