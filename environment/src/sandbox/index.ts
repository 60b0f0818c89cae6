import type { EnvOptions } from '../options.ts';
import { BwrapBackend } from './bwrap.ts';
import { DockerBackend } from './docker.ts';
import { UnsafeProcessBackend } from './process.ts';
import type { SandboxBackend } from './types.ts';

export type { SandboxBackend, SandboxResult, SandboxRun, Mount, UidLease, CapturedOutput, KillReason } from './types.ts';

/** The backend the options name; call check() before use. */
export function createSandbox(options: Pick<EnvOptions, 'sandbox' | 'limits' | 'uidBase' | 'uidCount' | 'workRoot' | 'dockerImage'>): SandboxBackend {
  switch (options.sandbox) {
    case 'bwrap':
      return new BwrapBackend({ limits: options.limits, uidBase: options.uidBase, uidCount: options.uidCount, workRoot: options.workRoot });
    case 'unsafe-process':
      return new UnsafeProcessBackend(options.limits);
    case 'docker':
      return new DockerBackend({ image: options.dockerImage, limits: options.limits, uidBase: options.uidBase, uidCount: options.uidCount, workRoot: options.workRoot });
  }
}
