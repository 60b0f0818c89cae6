#!/usr/bin/env node
// Registers tsx (the packages are TypeScript without a build step), then runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
