'use strict';

// Started by the environment server inside a principal's network namespace (ip netns exec): opens
// the listening sockets there, hands each one to the server over the IPC channel, and exits. The
// sockets stay in that namespace, so the server accepts the sandbox's connections itself, with no
// process of its own left running.
//
// Usage (with an IPC channel): node listen-child.cjs '[["127.0.0.1",5432],["::1",5432],...]'

const net = require('node:net');

async function main() {
  const addresses = JSON.parse(process.argv[2]);
  for (const [host, port] of addresses) {
    const server = net.createServer();
    const error = await new Promise((resolve) => {
      server.once('error', resolve);
      server.listen({ host, port, exclusive: true }, () => resolve(null));
    });
    // an address family the namespace lacks (no ::1) only means one address fewer
    if (error) process.send({ host, port, error: error.code });
    else await new Promise((resolve) => process.send({ host, port }, server, resolve));
    server.close();
  }
  process.disconnect();
}

main().catch((err) => {
  process.stderr.write(`listen-child: ${err.message}\n`);
  process.exit(1);
});
