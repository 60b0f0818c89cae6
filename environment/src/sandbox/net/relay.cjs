'use strict';

// Runs inside the sandbox, which has a network namespace of its own (loopback only). It listens
// on the ports the server URLs name and forwards each connection to the unix socket of the same
// service, bind-mounted from the host, where a gate decides what gets through. Then it runs the
// command and exits with its status. It is mounted read-only from the environment package: the
// workspace never provides it. Killing it only cuts the sandbox's own connections.
//
// Usage: node relay.cjs <socket-dir> -- <command> [args...]

const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const PORTS = { postgres: 5432, redis: 6379, amqp: 5672, management: 15672 };

function listen(port, socketPath, host) {
  return new Promise((resolve) => {
    const server = net.createServer((client) => {
      const upstream = net.connect(socketPath);
      client.pipe(upstream);
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    // An address family the namespace lacks (no ::1) is not an error worth stopping for.
    server.on('error', () => resolve(null));
    server.listen(port, host, () => {
      server.unref();
      resolve(server);
    });
  });
}

function run(command, args) {
  const child = spawn(command, args, { stdio: 'inherit' });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (err) => {
    process.stderr.write(`${command}: ${err.code === 'ENOENT' ? 'command not found' : err.message}\n`);
    process.exit(err.code === 'ENOENT' ? 127 : 126);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}

async function main(argv) {
  const sep = argv.indexOf('--');
  if (sep !== 1 || argv.length < 3) {
    process.stderr.write('usage: relay.cjs <socket-dir> -- <command> [args...]\n');
    process.exit(2);
  }
  const dir = argv[0];
  const listeners = [];
  for (const [name, port] of Object.entries(PORTS)) {
    const socketPath = path.join(dir, `${name}.sock`);
    listeners.push(listen(port, socketPath, '127.0.0.1'), listen(port, socketPath, '::1'));
  }
  await Promise.all(listeners);
  run(argv[2], argv.slice(3));
}

main(process.argv.slice(2));
