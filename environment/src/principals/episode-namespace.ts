import { createEpisodeNamespace, type Namespace } from '../episodes/namespace.ts';
import type { PrincipalHandle, Principals } from './index.ts';
import { toSandboxUrls } from './index.ts';

/**
 * An episode's namespace under a principal of its own. The host creates the namespace with its
 * administrator URLs (databases, vhost, prefix all named `<principal>_ep…`), then hands it over:
 * the databases are owned by the principal's role and the vhost is granted to its user. The
 * sandbox gets the principal's URLs and gates; dropping it ends every session first.
 */
export async function createIsolatedNamespace(principals: Principals, modulePath: string, databases: string[]): Promise<Namespace> {
  const principal = await principals.acquire();
  let ns: Namespace | undefined;
  try {
    ns = await createEpisodeNamespace(modulePath, databases, `${principal.name}_ep`);
    await handOver(principals, principal, ns, databases);
  } catch (err) {
    await principal.destroy().catch(() => undefined);
    await ns?.drop().catch(() => undefined);
    throw err;
  }
  const inner = ns;
  return {
    id: inner.id,
    env: { ...toSandboxUrls(inner.env, principal), ...principal.env },
    mounts: [principal.mount],
    principal: principal.name,
    redactions: [[principal.name, 'dn_principal'], [principal.secret, 'dn_secret']],
    drop: async () => {
      // the principal first: its sessions end before the namespace's databases are dropped
      await principal.destroy();
      await inner.drop();
    },
  };
}

async function handOver(principals: Principals, principal: PrincipalHandle, ns: Namespace, databases: string[]): Promise<void> {
  const { admin } = principals;
  await admin.pg(async (c) => {
    for (const name of databases) await c.query(`ALTER DATABASE "${ns.id}_${name}" OWNER TO "${principal.name}"`);
  });
  if (ns.env.AMQP_URL && new URL(ns.env.AMQP_URL).pathname.length > 1) {
    await admin.rabbit('PUT', `permissions/${encodeURIComponent(ns.id)}/${encodeURIComponent(principal.name)}`, { configure: '.*', write: '.*', read: '.*' });
  }
}
