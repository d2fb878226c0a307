// A throwaway single-node Ceph (one monitor, one memstore OSD, radosgw) under a temp dir: an S3 store that
// really checks signatures and checksums, without Docker. The S3 tests and `pnpm cluster` both start it, so it
// lives in src (not test) and ships in dist. Recipe: issue 11.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';

export interface Radosgw {
  /** `http://127.0.0.1:<port>`; use path-style addressing. */
  endpoint: string;
  /** Any region signs; this is the one the tests use. */
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The temp dir holding config, logs and monitor data; removed by `stop`. */
  dir: string;
  /** A client for the test user, with the checksum defaults the S3 blob store uses. */
  client(overrides?: { secretAccessKey?: string }): S3Client;
  createBucket(name: string): Promise<void>;
  /** Lets pages from `origin` PUT direct uploads into the bucket (the rule docs/sdk.md gives). */
  allowBrowserUploads(bucket: string, origin: string): Promise<void>;
  /** Kills the daemons and removes the temp dir. */
  stop(): Promise<void>;
}

const BINARIES = ['monmaptool', 'ceph-mon', 'ceph-osd', 'ceph', 'radosgw', 'radosgw-admin'];
const READY_TIMEOUT_MS = 90_000;
const run = promisify(execFile);

/** Why radosgw cannot run here, or null when every binary is on PATH. */
export function radosgwMissing(): string | null {
  const missing = BINARIES.filter((name) => !onPath(name));
  if (missing.length === 0) return null;
  return `${missing.join(', ')} not on PATH: run scripts/install-ceph.sh (as root: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw)`;
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** Starts a fresh single-node Ceph with radosgw on free 127.0.0.1 ports and a test user. */
export async function startRadosgw(): Promise<Radosgw> {
  const missing = radosgwMissing();
  if (missing) throw new Error(`radosgw is not available: ${missing}`);

  const [monPort, rgwPort] = (await freePorts(2)) as [number, number];
  const dir = await mkdtemp(join(tmpdir(), 'face-encode-radosgw-'));
  const daemons: Daemon[] = [];
  const conf = join(dir, 'ceph.conf');
  const env = { ...process.env, CEPH_CONF: conf };
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  try {
    const fsid = randomUUID();
    await Promise.all(
      ['run', 'log', 'mon', 'osd/ceph-0', 'rgw'].map((d) => mkdir(join(dir, d), { recursive: true })),
    );
    await writeFile(conf, cephConf({ dir, fsid, monPort, rgwPort }));

    const tool = (cmd: string, args: string[]) => run(cmd, args, { env, timeout: 60_000 });
    await tool('monmaptool', [
      '--create',
      '--add',
      'a',
      `127.0.0.1:${monPort}`,
      '--fsid',
      fsid,
      join(dir, 'monmap'),
    ]);
    await tool('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')]);
    daemons.push(startDaemon('ceph-mon', ['-i', 'a'], env));
    // `ceph osd create` also waits for the monitor to form a quorum.
    await tool('ceph', ['--connect-timeout', '30', 'osd', 'create']);
    await tool('ceph-osd', ['-i', '0', '--mkfs']);
    daemons.push(startDaemon('ceph-osd', ['-i', '0'], env));
    daemons.push(startDaemon('radosgw', ['-n', 'client.rgw.a'], env));
    // radosgw creates its pools first, so the endpoint answering means the whole chain is up.
    await waitForHttp(endpoint, daemons);

    const accessKeyId = `AK${randomBytes(9).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString('base64url');
    await tool('radosgw-admin', [
      'user',
      'create',
      '--uid=test',
      '--display-name=test',
      `--access-key=${accessKeyId}`,
      `--secret-key=${secretAccessKey}`,
    ]);

    const region = 'us-east-1';
    const client = (overrides: { secretAccessKey?: string } = {}) =>
      new S3Client({
        endpoint,
        region,
        forcePathStyle: true,
        credentials: { accessKeyId, secretAccessKey: overrides.secretAccessKey ?? secretAccessKey },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // Fail a test fast rather than retry a refusal the test expects.
        maxAttempts: 1,
      });
    const admin = client();
    let stopped = false;
    return {
      endpoint,
      region,
      accessKeyId,
      secretAccessKey,
      dir,
      client,
      async createBucket(name) {
        await admin.send(new CreateBucketCommand({ Bucket: name }));
      },
      async allowBrowserUploads(bucket, origin) {
        await admin.send(
          new PutBucketCorsCommand({
            Bucket: bucket,
            CORSConfiguration: {
              CORSRules: [
                {
                  AllowedOrigins: [origin],
                  AllowedMethods: ['PUT'],
                  AllowedHeaders: ['content-type', 'content-md5', 'if-none-match'],
                  MaxAgeSeconds: 600,
                },
              ],
            },
          }),
        );
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        admin.destroy();
        await stopAll(daemons);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    const logs = await logTails(dir);
    await stopAll(daemons);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`radosgw did not start: ${(error as Error).message}${logs}`, { cause: error });
  }
}

function cephConf(o: { dir: string; fsid: string; monPort: number; rgwPort: number }): string {
  const { dir } = o;
  return `[global]
fsid = ${o.fsid}
mon host = 127.0.0.1:${o.monPort}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# radosgw defaults to a "secure" monitor connection, which needs cephx; with auth none it would hang.
ms mon client mode = crc
# A wrong setup should fail in seconds, not after the default 300 s.
client mount timeout = 30
# The monitor batches map changes for 1 s by default, and radosgw's start-up makes a dozen of them in a row
# (pools, application tags): 12 s. With no other monitors to agree with, commit at once: about 2 s.
paxos propose interval = 0.05
paxos min wait = 0.01
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
keyring = ${dir}/keyring
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = 2147483648
# memstore (like ext4) cannot take Ceph's default long object names.
osd max object name len = 460
osd max object namespace len = 64
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${o.rgwPort}
rgw data = ${dir}/rgw
`;
}

interface Daemon {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** Set once the process has exited. */
  exitCode: number | string | null;
}

const SETPRIV = onPath('setpriv');
const running = new Set<ChildProcess>();
// A test run that dies without calling stop() must not leave a cluster behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function startDaemon(name: string, args: string[], env: NodeJS.ProcessEnv): Daemon {
  // `-f` keeps the daemon in the foreground, so its pid is the child's (daemonized, it would fork and write no
  // pid file). setpriv (util-linux) sets a parent-death signal, so it dies with us if stop() never runs.
  const argv = [name, '-f', ...args];
  const child = SETPRIV
    ? spawn('setpriv', ['--pdeathsig', 'KILL', ...argv], { env, stdio: 'ignore' })
    : spawn(name, argv.slice(1), { env, stdio: 'ignore' });
  running.add(child);
  const daemon: Daemon = {
    name,
    child,
    exitCode: null,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        daemon.exitCode = code ?? signal;
        resolve();
      });
      child.once('error', () => resolve());
    }),
  };
  return daemon;
}

async function stopAll(daemons: Daemon[]): Promise<void> {
  // SIGKILL, not SIGTERM: the data lives in memstore and a temp dir, so there is nothing to flush, and a
  // graceful stop costs about 2 s per daemon.
  for (const daemon of daemons) if (daemon.exitCode === null) daemon.child.kill('SIGKILL');
  await Promise.all(daemons.map((d) => d.exited));
}

async function waitForHttp(endpoint: string, daemons: Daemon[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const dead = daemons.find((d) => d.exitCode !== null);
    if (dead) throw new Error(`${dead.name} exited (${dead.exitCode}) during start-up`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
      return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`${endpoint} did not answer within ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Ports the OS says are free, all distinct: parallel test files each get their own cluster. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

async function logTails(dir: string): Promise<string> {
  let out = '';
  for (const name of ['mon.a.log', 'osd.0.log', 'client.rgw.a.log']) {
    const text = await readFile(join(dir, 'log', name), 'utf8').catch(() => '');
    if (text) out += `\n--- ${name} (last lines)\n${text.trimEnd().split('\n').slice(-15).join('\n')}`;
  }
  return out;
}
