'use strict';

// Drops the namespaces that killed runs left behind (see sweepNamespaces in namespace.js).
// Usage: node tests/support/sweep-namespaces.js [--older-than-minutes N]   (default 60)

const { sweepNamespaces } = require('./namespace');

async function main(argv) {
  const i = argv.indexOf('--older-than-minutes');
  const minutes = i === -1 ? 60 : Number(argv[i + 1]);
  if (!Number.isFinite(minutes) || minutes < 0) throw new Error('--older-than-minutes takes a number of minutes >= 0');
  const result = await sweepNamespaces({ olderThanMs: minutes * 60_000 });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result.failed.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`sweep-namespaces: ${err.message}\n`);
      process.exit(2);
    },
  );
}
