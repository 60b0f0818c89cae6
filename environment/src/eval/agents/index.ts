import { EnvError } from '../../errors.ts';
import { noopAgent, oracleAgent } from './baselines.ts';
import { externalAgent, type ExternalAgentOptions } from './external.ts';
import { randomAgent } from './random.ts';
import type { Agent } from './types.ts';

export const BUILTIN_AGENTS = ['oracle', 'noop', 'random', 'external'] as const;

export function createAgent(name: string, external?: Omit<ExternalAgentOptions, 'command'> & { command?: string }): Agent {
  switch (name) {
    case 'oracle': return oracleAgent;
    case 'noop': return noopAgent;
    case 'random': return randomAgent;
    case 'external':
      if (!external?.command) throw new EnvError('ENV_ERR_INVALID_OPTION', '--agent external needs --agent-cmd "<command that starts the agent>"');
      return externalAgent({ ...external, command: external.command });
    default:
      throw new EnvError('ENV_ERR_INVALID_OPTION', `--agent: expected one of ${BUILTIN_AGENTS.join(', ')}, got ${JSON.stringify(name)}`);
  }
}

export type { Agent } from './types.ts';
