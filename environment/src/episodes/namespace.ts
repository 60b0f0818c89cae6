import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EnvError } from '../errors.ts';
import { errorMessage } from '../util.ts';

/** One episode's private slice of the real servers (target/tests/support/namespace.js). */
export interface Namespace {
  id: string;
  env: Record<string, string>;
  drop(): Promise<void>;
}

type CreateNamespace = (options: { databases?: string[] }) => Promise<Namespace>;

const loaded = new Map<string, CreateNamespace>();

function load(modulePath: string): CreateNamespace {
  let fn = loaded.get(modulePath);
  if (!fn) {
    if (!existsSync(modulePath)) throw new EnvError('ENV_ERR_INFRA', `the namespace module does not exist: ${modulePath}`);
    // The target is CommonJS with its own node_modules (pg, ioredis): require it from where it lives.
    const mod = createRequire(modulePath)(modulePath) as { createNamespace?: CreateNamespace };
    if (typeof mod.createNamespace !== 'function') throw new EnvError('ENV_ERR_INFRA', `${modulePath} does not export createNamespace`);
    fn = mod.createNamespace;
    loaded.set(modulePath, fn);
  }
  return fn;
}

export async function createEpisodeNamespace(modulePath: string, databases: string[]): Promise<Namespace> {
  try {
    return await load(modulePath)({ databases });
  } catch (err) {
    if (err instanceof EnvError) throw err;
    throw new EnvError('ENV_ERR_INFRA', `could not create the episode's namespace on PostgreSQL / Redis / RabbitMQ: ${errorMessage(err)}`, { cause: err });
  }
}
