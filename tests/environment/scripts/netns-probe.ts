// Opens a principal's network namespace the way the server does (dn-netns, or `ip` and a node
// child under DN_NATIVE_LAUNCHER=0), checks it from inside, removes it, and prints what it saw as
// JSON. A script, so that netns.test.ts can run it once with the native program and once without.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { nativeProgram } from '../../../environment/src/sandbox/native-launcher.ts';
import { deleteNetns, openNetns } from '../../../environment/src/sandbox/net/netns.ts';

const exec = promisify(execFile);
const name = `probe${process.pid}`;
const ns = `dn-${name}`;

// a host listener the namespace must not reach
const host = net.createServer((s) => s.end('host\n'));
await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
const hostPort = (host.address() as net.AddressInfo).port;

const { file, listeners } = await openNetns(name, [['127.0.0.1', 5432], ['::1', 5432], ['127.0.0.1', 6379]]);
for (const l of listeners) l.server.on('connection', (s) => s.end(`gate ${l.port}\n`));
const inside = (script: string) =>
  exec('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { encoding: 'utf8' }).then((r) => r.stdout.trim());
const dial = (port: number) =>
  `const s=require('net').connect(${port},'127.0.0.1');s.on('data',d=>{process.stdout.write(String(d));process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`;

const probe = {
  native: nativeProgram('dn-netns') !== null,
  file,
  listening: listeners.map((l) => `${l.host}:${l.port}`).sort(),
  listed: (await exec('ip', ['netns', 'list'], { encoding: 'utf8' })).stdout.split('\n').some((l) => l.split(' ')[0] === ns),
  interfaces: await inside("console.log(Object.keys(require('os').networkInterfaces()).join(' '))"),
  gate: await inside(dial(5432)),
  hostPort: await inside(dial(hostPort)),
  duplicate: await openNetns(name, [['127.0.0.1', 5432]]).then(() => 'opened twice', (err: Error) => /could not listen|File exists/.test(err.message) ? 'refused' : err.message),
  removed: false,
};
for (const l of listeners) l.server.close();
host.close();
await deleteNetns(name);
probe.removed = !existsSync(file);
console.log(JSON.stringify(probe));
