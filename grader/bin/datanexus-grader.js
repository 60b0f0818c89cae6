#!/usr/bin/env node
// No build step: register tsx, then load the TypeScript CLI. The import is dynamic because static
// imports would be resolved before the loader is registered.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));
process.exitCode = await main(process.argv.slice(2));
