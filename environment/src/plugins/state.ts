import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fp from 'fastify-plugin';
import { EnvError } from '../errors.ts';
import { pidAlive } from '../util.ts';
import { removeTree } from '../workspace/tree.ts';
import './types.ts';


/**
 * One server per state directory: a lock file with the owner's pid. A lock left by a server that
 * died is taken over, and the workspaces, grade trees and task trees it left behind are removed.
 */
export default fp(async (app) => {
  const { workRoot } = app.envOptions;
  await mkdir(workRoot, { recursive: true });
  const lock = path.join(workRoot, 'server.lock');
  const owner = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(owner) && owner !== process.pid && pidAlive(owner)) {
    throw new EnvError('ENV_ERR_INVALID_OPTION', `another environment server (pid ${owner}) uses ${workRoot}; give this one its own --state-dir`);
  }
  if (Number.isInteger(owner) && owner !== process.pid) app.log.warn({ pid: owner }, 'a previous server died without shutting down: removing what it left');
  for (const d of ['episodes', 'grades', 'tasks']) await removeTree(path.join(workRoot, d));
  await writeFile(lock, String(process.pid));
  app.addHook('onClose', async () => {
    await rm(lock, { force: true });
  });
}, { name: 'env-state', dependencies: ['env-config'] });
