'use strict';

// `npm start [service ...]`: boots every built service (or the ones named) in this process,
// against the servers named in the environment (see .env.example), prints where each listens,
// and stops them all, in reverse order, on SIGINT or SIGTERM.
//
// Each service listens on <NAME>_PORT when set, else on its port in the service table.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { service: { SERVICES, serviceEntry } } = require('../shared');

const SERVICES_DIR = path.join(__dirname, '..', 'services');

function entryPointOf(name) {
  return path.join(SERVICES_DIR, name, 'src', 'index.js');
}

/** Table entries of the services that exist in this checkout, in table order. */
function builtServices() {
  return SERVICES.filter((entry) => fs.existsSync(entryPointOf(entry.name)));
}

/** The entries to start: the named ones (each must exist and be built) or every built one. */
function selectServices(names) {
  if (names.length === 0) return builtServices();
  return names.map((name) => {
    const entry = serviceEntry(name);
    if (!fs.existsSync(entryPointOf(name))) throw new TypeError(`service ${name} is not built yet (no ${path.relative(process.cwd(), entryPointOf(name))})`);
    return entry;
  });
}

/** The environment one service sees: the shared one, its own port and name. */
function serviceEnv(env, entry) {
  const port = env[`${entry.name.toUpperCase()}_PORT`] ?? String(entry.port);
  return { ...env, PORT: port, SERVICE_NAME: entry.name };
}

/**
 * Starts `entries` one after the other (table order: auth is up before the gateway routes to
 * it). A failure stops the ones already started and rethrows.
 * @returns {Promise<{ handles: object[], stop(): Promise<void> }>}
 */
async function startPlatform(entries, { env = process.env, onStarted = () => {} } = {}) {
  const handles = [];
  const stop = async () => {
    for (const handle of handles.splice(0).reverse()) await handle.stop();
  };
  try {
    for (const entry of entries) {
      const service = require(entryPointOf(entry.name));
      const handle = await service.start({ env: serviceEnv(env, entry) });
      handles.push(handle);
      onStarted(entry, handle);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { handles, stop };
}

/** Services trust each other through one internal token; a run without one gets its own. */
function withInternalToken(env, say) {
  if (env.INTERNAL_TOKEN) return env;
  say('INTERNAL_TOKEN is not set: using a random token for this run');
  return { ...env, INTERNAL_TOKEN: crypto.randomBytes(24).toString('base64url') };
}

async function main(argv) {
  const say = (line) => process.stdout.write(`${line}\n`);
  const entries = selectServices(argv);
  const env = withInternalToken(process.env, say);
  const platform = await startPlatform(entries, {
    env,
    onStarted: (entry, handle) => say(`${entry.name} listening on ${handle.url}`),
  });
  say(`started ${entries.map((e) => e.name).join(', ')}; Ctrl-C stops them`);
  let stopping = null;
  const onSignal = (signal) => {
    if (stopping) return;
    say(`${signal}: stopping`);
    stopping = platform.stop().then(
      () => {
        say('stopped');
        process.exit(0);
      },
      (err) => {
        process.stderr.write(`stop failed: ${err.stack}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

module.exports = { builtServices, selectServices, serviceEnv, startPlatform };

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`npm start failed: ${err.message}\n`);
    process.exit(1);
  });
}
