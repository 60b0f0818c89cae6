import type { GradingService } from '../grading/service.ts';
import type { EnvOptions } from '../options.ts';
import type { SandboxBackend } from '../sandbox/types.ts';
import type { Mount } from '../sandbox/types.ts';
import type { ObsError } from '../schemas/observations.ts';
import type { WorkspaceRoots } from '../workspace/resolve.ts';

/** What an action may use: the episode's workspace and sandbox, never the episode registry. */
export interface ActionContext {
  roots: WorkspaceRoots;
  backend: SandboxBackend;
  uid: number | null;
  /** The sandbox environment of the episode (namespace, DN_* URLs, DN_SEED). */
  env: Record<string, string>;
  mounts: Mount[];
  options: Readonly<EnvOptions>;
  grading: GradingService;
  redact: (text: string) => string;
  signal: AbortSignal;
}

export function obsError(code: string, message: string): ObsError {
  return { code, message };
}
