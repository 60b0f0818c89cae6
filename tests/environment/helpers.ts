import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../environment/src/app.ts';
import { FIXTURE, SHARED_CACHE, tempDir } from './fixtures.ts';

export * from './fixtures.ts';

export interface TestEnv {
  app: FastifyInstance;
  stateDir: string;
  close(): Promise<void>;
}

// The last warnings and errors each test app logged, so a failed call can say why the server
// answered 500 (the test app's log is otherwise silent, and a rare failure leaves nothing to read).
const RECENT_LOG_LINES = 30;
const recentLogs = new WeakMap<FastifyInstance, string[]>();

function recentLog(app: FastifyInstance): string {
  const lines = recentLogs.get(app);
  return lines && lines.length > 0 ? `\nserver log (warn and above):\n${lines.join('')}` : '';
}

/** An app on the fixture with its own state directory; namespaces off unless asked for (they take seconds). */
export async function testApp(overrides: AppOptions = {}): Promise<TestEnv> {
  const stateDir = await tempDir('dn-env-test-');
  const lines: string[] = [];
  const stream = { write: (line: string) => void (lines.push(line) > RECENT_LOG_LINES && lines.shift()) };
  const app = await buildApp({
    ...FIXTURE,
    stateDir,
    cacheDir: SHARED_CACHE,
    trajectoriesPath: ':memory:',
    namespaceModule: null,
    namespacePoolSize: 0,
    logger: { level: 'warn', stream },
    ...overrides,
  });
  recentLogs.set(app, lines);
  return {
    app,
    stateDir,
    close: async () => {
      await app.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
}

export async function call<T = any>(app: FastifyInstance, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<Reply<T>> {
  const r = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.json() as T };
}

export async function reset(app: FastifyInstance, body: Record<string, unknown> = {}): Promise<any> {
  const r = await call(app, 'POST', '/v1/reset', body);
  if (r.status !== 200) throw new Error(`reset answered ${r.status}: ${JSON.stringify(r.body)}${recentLog(app)}`);
  return r.body;
}

export function step(app: FastifyInstance, episodeId: string, action: Record<string, unknown>): Promise<Reply> {
  return call(app, 'POST', '/v1/step', { episodeId, action });
}

export async function stepOk(app: FastifyInstance, episodeId: string, action: Record<string, unknown>): Promise<any> {
  const r = await step(app, episodeId, action);
  if (r.status !== 200) throw new Error(`step ${String(action.type)} answered ${r.status}: ${JSON.stringify(r.body)}${recentLog(app)}`);
  return r.body;
}

