import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { nativeLauncher } from '../../environment/src/sandbox/native-launcher.ts';
import { MountHelper } from '../../environment/src/sandbox/mount-helper.ts';
import { mountsUnder, unmountUnder } from '../../environment/src/sandbox/workspace-fs.ts';
import { hasBwrap, REPO, tempDir } from './fixtures.ts';

// dn-launch does what sh, nsenter, setpriv, prlimit, mount and umount did for a root run, in one
// process start. These tests hold it to the same effects, and check that the util-linux path it
// replaces still gives a working sandbox where the launcher cannot be built (DN_NATIVE_LAUNCHER=0).

const exec = promisify(execFile);
const asRoot = process.getuid?.() === 0;
const MEMORY_CGROUPS = '/sys/fs/cgroup/memory';
const canCgroup = asRoot && existsSync(path.join(MEMORY_CGROUPS, 'cgroup.procs'));

async function launch(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(nativeLauncher()!, args, { encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dn-launch', { skip: asRoot ? false : 'the launcher is only built and used by a root server' }, () => {
  test('is built from source and kept where only root can reach it', () => {
    const file = nativeLauncher();
    assert.ok(file, 'a C compiler is on this machine, so the launcher must build');
    const dir = path.dirname(file);
    assert.equal(statSync(dir).mode & 0o077, 0);
    assert.equal(statSync(file).mode & 0o077, 0);
  });

  test('exec joins the cgroup, sets the rlimits and drops to the uid before the program starts', { skip: canCgroup ? false : 'no writable memory cgroup' }, async () => {
    const group = path.join(MEMORY_CGROUPS, `dn-launch-test-${process.pid}`);
    mkdirSync(group);
    try {
      const r = await launch(['exec', '--cgroup', path.join(group, 'cgroup.procs'), '--rlimit', 'core=0', '--rlimit', 'fsize=1048576', '--rlimit', 'nproc=64',
        '--uid', '65534', '--', '/bin/sh', '-c', 'id -u; id -g; id -G; grep -E "^Max (core|file size|processes)" /proc/self/limits | tr -s " "; grep -c dn-launch-test /proc/self/cgroup']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '65534\n65534\n65534\nMax file size 1048576 1048576 bytes \nMax core file size 0 0 bytes \nMax processes 64 64 processes \n1\n');
    } finally {
      rmdirSync(group);
    }
  });

  test('exec joins a network namespace: only its loopback is there', async () => {
    const name = `dnlt${process.pid}`;
    await exec('ip', ['netns', 'add', name]);
    try {
      const r = await launch(['exec', '--netns', `/run/netns/${name}`, '--uid', '65534', '--', '/bin/sh', '-c', 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\\n" " "']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'lo ');
    } finally {
      await exec('ip', ['netns', 'del', name]);
    }
  });

  test('refuses what it cannot do safely, with a message and exit 2 or 125', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['exec', '--uid', '0', '--', '/bin/true'], 2, /uid other than 0/],
      [['exec', '--uid', '65534', '--', 'true'], 2, /absolute program path/],
      [['exec', '--bogus', 'x', '--', '/bin/true'], 2, /unknown option/],
      [['exec', '--rlimit', 'stack=1', '--', '/bin/true'], 2, /one of data, fsize, core, nproc/],
      [['exec', '--cgroup', '/nonexistent/cgroup.procs', '--', '/bin/true'], 125, /cannot open \/nonexistent/],
      [['mount-tmpfs', '/tmp', 'lots', '1'], 2, /mount-tmpfs DIR SIZE_BYTES NR_INODES/],
      [['reboot'], 2, /unknown command/],
    ];
    for (const [args, code, message] of cases) {
      const r = await launch(args);
      assert.deepEqual([args.join(' '), r.code], [args.join(' '), code]);
      assert.match(r.stderr, message);
    }
  });

  test('mount-tmpfs mounts a size-capped tmpfs and umount detaches it', async () => {
    const dir = await tempDir('dn-launch-mount-');
    try {
      const m = await launch(['mount-tmpfs', dir, String(8 * 1024 * 1024), '1000']);
      assert.equal(m.code, 0, m.stderr);
      assert.deepEqual(mountsUnder(dir), [dir]);
      const fs = statfsSync(dir);
      assert.equal(fs.blocks * fs.bsize, 8 * 1024 * 1024);
      assert.match(readFileSync('/proc/self/mounts', 'utf8'), new RegExp(`dn-workspace ${dir} tmpfs rw,nosuid,nodev`));
      const u = await launch(['umount', dir]);
      assert.equal(u.code, 0, u.stderr);
      assert.deepEqual(mountsUnder(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('serve answers each request on one line, in order, and a failure does not end it', async () => {
    const dir = await tempDir('dn-launch-serve-');
    try {
      const input = [
        `mount-tmpfs\t${dir}\t${4 * 1024 * 1024}\t100`,
        'reboot',
        `mount-tmpfs\t${dir}/missing/deeper\t1024\t1`,
        `umount\t${dir}\t${dir}/also-not-mounted`,
        'x'.repeat(20_000),
        `umount\t${dir}`,
      ].join('\n');
      const serve = (text: string): Promise<string> => {
        const child = execFile(nativeLauncher()!, ['serve'], { encoding: 'utf8' });
        child.stdin!.end(text);
        return new Promise<string>((resolve) => {
          let answers = '';
          child.stdout!.on('data', (d: string) => (answers += d));
          child.on('close', () => resolve(answers));
        });
      };
      const out = await serve(`${input}\n`);
      const lines = out.trimEnd().split('\n');
      assert.equal(lines.length, 6, out);
      assert.equal(lines[0], 'ok');
      assert.match(lines[1]!, /^error serve: expected mount-tmpfs or umount/);
      assert.match(lines[2]!, /^error cannot mount a tmpfs at .*missing\/deeper: No such file/);
      assert.equal(lines[3], 'ok'); // not mounted is not an error: detaching is idempotent
      assert.equal(lines[4], 'error request too long');
      assert.equal(lines[5], 'ok');
      assert.deepEqual(mountsUnder(dir), []);
      // a last request the input cut off is answered as such, not as an over-long one
      assert.equal(await serve(`umount\t${dir}`), 'error request not ended by a newline\n');
      // a NUL byte (which no path holds) is refused wherever it sits, and the next request stands
      assert.equal(await serve(`\0umount\t${dir}\numount\t${dir}\n`), 'error request holds a NUL byte\nok\n');
      assert.equal(await serve(`umount\t${dir}\0x\numount\t${dir}\n`), 'error request holds a NUL byte\nok\n');
    } finally {
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the server mounts through one long-lived helper, which reports failures per request', async () => {
    const dir = await tempDir('dn-launch-helper-');
    const helper = new MountHelper(nativeLauncher()!);
    try {
      await helper.mountTmpfs(dir, 4 * 1024 * 1024, 100);
      assert.deepEqual(mountsUnder(dir), [dir]);
      await assert.rejects(helper.mountTmpfs(`${dir}/missing/x`, 1024, 1), { code: 'ENV_ERR_INFRA', message: /cannot mount a tmpfs at/ });
      await assert.rejects(helper.umount([`${dir}\tx`]), { code: 'ENV_ERR_INTERNAL' });
      await helper.umount([dir]);
      assert.deepEqual(mountsUnder(dir), []);
    } finally {
      helper.close();
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a mount helper that dies fails the requests waiting on it, and the next request starts a new one', async () => {
    const dir = await tempDir('dn-launch-dying-');
    try {
      // a stand-in that reads one request, records that it started, and dies without answering
      const fake = path.join(dir, 'fake-launcher');
      writeFileSync(fake, `#!/bin/sh\nread line\necho started >> ${dir}/starts\nexit 3\n`, { mode: 0o700 });
      const helper = new MountHelper(fake);
      await assert.rejects(helper.mountTmpfs(`${dir}/a`, 1024, 1), { code: 'ENV_ERR_INFRA', message: /mount helper ended \(3\)/ });
      await assert.rejects(helper.umount([`${dir}/a`]), { code: 'ENV_ERR_INFRA', message: /mount helper ended \(3\)/ });
      assert.equal(readFileSync(path.join(dir, 'starts'), 'utf8'), 'started\nstarted\n');
      helper.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('without dn-launch (DN_NATIVE_LAUNCHER=0)', { skip: hasBwrap && asRoot ? false : 'needs bubblewrap and root' }, () => {
  test('a run is still capped by its cgroup, drops to its uid and gets its rlimits, and workspaces are still capped', async () => {
    const script = path.join(REPO, 'tests', 'environment', 'scripts', 'sandbox-probe.ts');
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', script], { cwd: REPO, env: { ...process.env, DN_NATIVE_LAUNCHER: '0' }, encoding: 'utf8' });
    const probe = JSON.parse(stdout) as { launcher: string | null; disk: string; uid: string; core: string; exitCode: number; hog: string | null };
    assert.deepEqual(probe, { launcher: null, disk: 'tmpfs', exitCode: 0, uid: 'the leased uid', core: '0', hog: 'memory' });
  });
});
