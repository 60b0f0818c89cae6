import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { describe, test } from 'node:test';

// scripts/containers.sh serves podman's Docker-compatible API: clients of the Docker API (here
// testcontainers, which the issue names) start the locally built images through it. No registry:
// nothing is pulled, and testcontainers' reaper (an image from Docker Hub) is off.
const SOCKET = '/run/podman/podman.sock';
process.env.DOCKER_HOST ??= `unix://${SOCKET}`;
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
const unavailable = existsSync(SOCKET) ? false : `no Docker-compatible API at ${SOCKET} (bash scripts/containers.sh starts it)`;
const skip = unavailable && process.env.DN_REQUIRE_CONTAINERS !== '1' ? unavailable : false;

function ask(port: number, host: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    s.once('error', reject);
    s.once('data', (d) => {
      s.destroy();
      resolve(String(d));
    });
    s.write(line);
  });
}

describe('the Docker-compatible API', { skip }, () => {
  test('testcontainers starts the local Redis image through it, and the server answers', async () => {
    const { GenericContainer, Wait } = await import('testcontainers');
    const redis = await new GenericContainer('localhost/datanexus-redis:latest')
      .withExposedPorts(6379)
      .withPullPolicy({ shouldPull: () => false })
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start();
    try {
      assert.equal(await ask(redis.getMappedPort(6379), redis.getHost(), 'PING\r\n'), '+PONG\r\n');
    } finally {
      await redis.stop();
    }
  });
});
