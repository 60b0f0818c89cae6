// @datanexus/environment: the public API.
export { buildApp, type AppOptions } from './app.ts';
export { serve, type ServeOptions, type RunningServer } from './server.ts';
export { resolveOptions, DEFAULT_LIMITS, SANDBOX_KINDS, type EnvOptions, type EnvOptionsInput, type SandboxKind, type SandboxLimits } from './options.ts';
export { ERRORS, EnvError, isEnvError, type ErrorCode } from './errors.ts';
export { ManualClock, systemClock, type Clock } from './clock.ts';
export { createSandbox } from './sandbox/index.ts';
export type { SandboxBackend, SandboxRun, SandboxResult } from './sandbox/types.ts';
export { sandboxRunner } from './sandbox/runner.ts';
export { EnvClient, EnvClientError, type EnvClientOptions } from './client/client.ts';
export { TrajectoryStore } from './trajectories/store.ts';
export { exportJsonl } from './trajectories/export.ts';
export { ENV_VERSION } from './version.ts';
export type * from './schemas/api.ts';
export type { Action, ActionType } from './schemas/actions.ts';
export type * from './schemas/observations.ts';
