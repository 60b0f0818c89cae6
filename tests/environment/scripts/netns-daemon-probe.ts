// The server's one `dn-netns serve` under what a busy server asks of it: several namespaces
// opened at once (each must get its own sockets, not a neighbour's), and the program killed
// between requests (the next request starts another). Prints what it saw as JSON.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { deleteNetns, openNetns } from '../../../environment/src/sandbox/net/netns.ts';

const exec = promisify(execFile);
const names = ['a', 'b', 'c', 'd'].map((s) => `probe${process.pid}${s}`);

async function open(name: string): Promise<string> {
  const { file, listeners } = await openNetns(name, [['127.0.0.1', 5432], ['127.0.0.1', 6379]]);
  for (const l of listeners) l.server.on('connection', (s) => s.end(`${name} ${l.port}\n`));
  return file;
}

/** What a client inside `name`'s namespace reads from port 5432 there. */
const dialInside = (name: string) =>
  exec('ip', ['netns', 'exec', `dn-${name}`, process.execPath, '-e',
    "const s=require('net').connect(5432,'127.0.0.1');s.on('data',d=>{process.stdout.write(String(d));process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})"],
  { encoding: 'utf8' }).then((r) => r.stdout.trim());

/** The pids of this process's `dn-netns serve` children. */
function daemons(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      return ppid === process.pid && cmd[1] === 'serve' && cmd[0]!.includes('dn-netns') ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

const files = await Promise.all(names.slice(0, 3).map(open));
const answers = await Promise.all(names.slice(0, 3).map(dialInside));
const before = daemons();
for (const pid of before) process.kill(pid, 'SIGKILL');
files.push(await open(names[3]!));
answers.push(await dialInside(names[3]!));
const after = daemons();
await Promise.all(names.map((n) => deleteNetns(n)));
console.log(JSON.stringify({ answers, daemonsBefore: before.length, daemonsAfter: after.length, restarted: after.every((p) => !before.includes(p)), removed: files.every((f) => !existsSync(f)) }));
process.exit(0); // the listeners' servers stay open; the namespaces are gone
