import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Action } from '../schemas/actions.ts';
import type {
  CloseResponseT, EpisodeInfoT, ErrorResponseT, HealthResponseT, ResetRequestT, ResetResponseT, RewardResponseT, StepResponseT, TasksResponseT,
} from '../schemas/api.ts';

export interface EnvClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** Per request; a first reset (baseline) or a grade of the full suite can take minutes. */
  timeoutMs?: number;
}

/** An HTTP error from the server, with its stable ENV_ERR_* code; status 0 and ENV_ERR_CLIENT when no answer came. */
export class EnvClientError extends Error {
  override readonly name = 'EnvClientError';
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}

/** A small typed client of the environment's HTTP API (Gymnasium-style reset / step / reward / close). */
export class EnvClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(opts: EnvClientOptions | string) {
    const o = typeof opts === 'string' ? { baseUrl: opts } : opts;
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? 30 * 60_000;
  }

  // node:http rather than fetch: fetch (undici) gives up on any answer whose headers take more than
  // 300 s, and a first reset (the task's baseline run) or a grade of a slow tree takes longer. The
  // only limit here is timeoutMs; a connection per request, so nothing keeps the process alive.
  private call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const url = new URL(`${this.base}${route}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = request(url, { method, headers, agent: false, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new EnvClientError(0, 'ENV_ERR_CLIENT', `${method} ${route}: ${err.message}`)));
        res.on('end', () => {
          try {
            resolve(this.answer<T>(method, route, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(new EnvClientError(0, 'ENV_ERR_CLIENT', `${method} ${route}: ${err.message}`)));
      req.end(payload);
    });
  }

  private answer<T>(method: string, route: string, status: number, text: string): T {
    let data: unknown;
    try {
      data = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new EnvClientError(status, 'ENV_ERR_CLIENT', `${method} ${route}: the server answered ${status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (status < 200 || status >= 300) {
      const e = (data ?? {}) as Partial<ErrorResponseT>;
      throw new EnvClientError(status, e.code ?? 'ENV_ERR_CLIENT', `${method} ${route}: ${e.code ?? status}: ${e.message ?? text}`, e.details);
    }
    return data as T;
  }

  reset(req: ResetRequestT = {}): Promise<ResetResponseT> {
    return this.call('POST', '/v1/reset', req);
  }

  step(episodeId: string, action: Action): Promise<StepResponseT> {
    return this.call('POST', '/v1/step', { episodeId, action });
  }

  reward(episodeId: string): Promise<RewardResponseT> {
    return this.call('POST', '/v1/reward', { episodeId });
  }

  close(episodeId: string): Promise<CloseResponseT> {
    return this.call('DELETE', `/v1/episodes/${encodeURIComponent(episodeId)}`);
  }

  episode(episodeId: string): Promise<EpisodeInfoT> {
    return this.call('GET', `/v1/episodes/${encodeURIComponent(episodeId)}`);
  }

  tasks(): Promise<TasksResponseT> {
    return this.call('GET', '/v1/tasks');
  }

  health(): Promise<HealthResponseT> {
    return this.call('GET', '/health');
  }
}
