import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EnvError } from '../errors.ts';
import type { Mount } from '../sandbox/types.ts';
import { errorMessage } from '../util.ts';

/** One episode's private slice of the real servers (target/tests/support/namespace.js). */
export interface Namespace {
  id: string;
  env: Record<string, string>;
  /** Set when the namespace belongs to a principal: its gates, mounted into every run of the episode. */
  mounts?: Mount[];
  /** The principal's name (its role and users), when the namespace belongs to one. */
  principal?: string;
  /** Further random values the agent may print, and the fixed names shown instead. */
  redactions?: [real: string, shown: string][];
  drop(): Promise<void>;
}

export interface SweepResult {
  dropped: string[];
  failed: { id: string; error: string }[];
  kept: number;
}

interface NamespaceModule {
  createNamespace(options: { databases?: string[]; ownerPid?: number; id?: string }): Promise<Namespace>;
  /** Optional: targets without it simply leak what a killed server leaves behind. */
  sweepNamespaces?(options?: { olderThanMs?: number }): Promise<SweepResult>;
}

const loaded = new Map<string, NamespaceModule>();

function load(modulePath: string): NamespaceModule {
  let mod = loaded.get(modulePath);
  if (!mod) {
    if (!existsSync(modulePath)) throw new EnvError('ENV_ERR_INFRA', `the namespace module does not exist: ${modulePath}`);
    // The target is CommonJS with its own node_modules (pg, ioredis): require it from where it lives.
    mod = createRequire(modulePath)(modulePath) as NamespaceModule;
    if (typeof mod.createNamespace !== 'function') throw new EnvError('ENV_ERR_INFRA', `${modulePath} does not export createNamespace`);
    loaded.set(modulePath, mod);
  }
  return mod;
}

/**
 * Drops what servers killed earlier (SIGKILL, OOM) left behind: namespaces whose owning server
 * process has exited, and test-file namespaces older than an hour. null: the module cannot sweep.
 */
export async function sweepAbandonedNamespaces(modulePath: string): Promise<SweepResult | null> {
  const mod = load(modulePath);
  return typeof mod.sweepNamespaces === 'function' ? mod.sweepNamespaces() : null;
}

export async function createEpisodeNamespace(modulePath: string, databases: string[], id?: string): Promise<Namespace> {
  try {
    // Owned by this server process: once it is gone, the next server's sweep drops the namespace.
    return await load(modulePath).createNamespace({ databases, ownerPid: process.pid, ...(id ? { id } : {}) });
  } catch (err) {
    if (err instanceof EnvError) throw err;
    throw new EnvError('ENV_ERR_INFRA', `could not create the episode's namespace on PostgreSQL / Redis / RabbitMQ: ${errorMessage(err)}`, { cause: err });
  }
}
