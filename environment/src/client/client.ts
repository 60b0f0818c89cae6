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

/** An HTTP error from the server, with its stable ENV_ERR_* code. */
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

  private async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let data: unknown;
    try {
      data = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new EnvClientError(res.status, 'ENV_ERR_CLIENT', `${method} ${route}: the server answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const e = (data ?? {}) as Partial<ErrorResponseT>;
      throw new EnvClientError(res.status, e.code ?? 'ENV_ERR_CLIENT', `${method} ${route}: ${e.code ?? res.status}: ${e.message ?? text}`, e.details);
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
