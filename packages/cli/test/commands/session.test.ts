import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHome, json } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let home: CliHome;

beforeAll(async () => {
  server = await startTestServer({ auth: 'demo' });
  home = new CliHome();
});
afterAll(async () => {
  await server?.close();
  home?.close();
});

const cli = (user: string, args: string[]) => home.run([...args, '--url', server.url, '--user-id', user]);

interface SessionJson {
  session_id: string;
  status: string;
  image_count: number;
  max_images: number;
  vendor_data: string | null;
  callback_url: string | null;
  created_at: string;
  expires_at: string;
}

describe('session create', () => {
  it('prints the created session as JSON', async () => {
    const r = await cli('create-user', [
      'session',
      'create',
      '--ttl',
      '3600',
      '--vendor-data',
      'customer-4711',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const s = json<SessionJson & { webhook_secret: string | null }>(r);
    expect(s).toMatchObject({
      status: 'open',
      image_count: 0,
      max_images: 5,
      vendor_data: 'customer-4711',
      callback_url: null,
      webhook_secret: null,
    });
    expect(Date.parse(s.expires_at) - Date.parse(s.created_at)).toBe(3600_000);
  });

  it('prints only the id with --quiet, for scripts', async () => {
    const r = await cli('create-user', ['session', 'create', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
  });

  it('prints a human line and the next step by default', async () => {
    const r = await cli('create-user', ['session', 'create']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Created session [0-9a-f-]{36} \(expires /);
    expect(r.stdout).toContain('Next: face-encode upload');
  });

  it('refuses an out-of-range --ttl as a usage error (exit 2) without a request', async () => {
    const r = await cli('create-user', ['session', 'create', '--ttl', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ttl/);
  });
});

describe('session show', () => {
  it('prints the summary as JSON, and a human summary by default', async () => {
    const id = json<SessionJson>(await cli('show-user', ['session', 'create', '--json'])).session_id;
    const r = await cli('show-user', ['session', 'show', id, '--json']);
    expect(r.code).toBe(0);
    const s = json<
      SessionJson & { images: unknown[]; summary: { same_person: boolean | null; threshold: number } }
    >(r);
    expect(s).toMatchObject({ session_id: id, status: 'open', images: [], summary: { same_person: null } });
    expect(typeof s.summary.threshold).toBe('number');

    const human = await cli('show-user', ['session', 'show', id]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Session ${id}`);
    expect(human.stdout).toContain('Same person: unknown');
  });

  it('reports a missing session with exit 4, one line and a hint', async () => {
    const missing = '11111111-1111-4111-8111-111111111111';
    const r = await cli('show-user', ['session', 'show', missing]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`Error: Session ${missing} not found.\nHint: Run face-encode session list.\n`);
    expect(r.stdout).toBe('');
  });

  it('with --json, puts a stable error object on stdout', async () => {
    const missing = '11111111-1111-4111-8111-111111111111';
    const r = await cli('show-user', ['session', 'show', missing, '--json']);
    expect(r.code).toBe(4);
    expect(json(r)).toEqual({
      error: {
        message: `Session ${missing} not found.`,
        hint: 'Run face-encode session list.',
        exit_code: 4,
        code: 'session_not_found',
        status: 404,
        request_id: expect.any(String),
      },
    });
  });

  it('does not show another user’s session', async () => {
    const id = json<SessionJson>(await cli('owner', ['session', 'create', '--json'])).session_id;
    expect((await cli('stranger', ['session', 'show', id])).code).toBe(4);
  });
});

describe('session list', () => {
  it('lists newest first, pages with --limit, follows pages with --all, filters by --status', async () => {
    const user = 'list-user';
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(json<SessionJson>(await cli(user, ['session', 'create', '--json'])).session_id);

    const page = json<{ items: SessionJson[]; next_cursor: string | null }>(
      await cli(user, ['session', 'list', '--limit', '2', '--json']),
    );
    expect(page.items.map((s) => s.session_id)).toEqual([ids[2], ids[1]]);
    expect(page.next_cursor).toEqual(expect.any(String));

    const rest = json<{ items: SessionJson[]; next_cursor: string | null }>(
      await cli(user, ['session', 'list', '--limit', '2', '--cursor', page.next_cursor ?? '', '--json']),
    );
    expect(rest.items.map((s) => s.session_id)).toEqual([ids[0]]);

    const all = json<{ items: SessionJson[]; next_cursor: string | null }>(
      await cli(user, ['session', 'list', '--limit', '1', '--all', '--json']),
    );
    expect(all.items.map((s) => s.session_id)).toEqual([...ids].reverse());
    expect(all.next_cursor).toBeNull();

    const open = json<{ items: SessionJson[] }>(
      await cli(user, ['session', 'list', '--status', 'open', '--json']),
    );
    expect(open.items).toHaveLength(3);
    const completed = json<{ items: SessionJson[] }>(
      await cli(user, ['session', 'list', '--status', 'completed', '--json']),
    );
    expect(completed.items).toHaveLength(0);

    const human = await cli(user, ['session', 'list']);
    expect(human.code).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^SESSION\s+STATUS\s+IMAGES\s+CREATED\s+VENDOR DATA$/);
    // Each column starts where its header does.
    expect(lines[1]?.indexOf('open')).toBe(lines[0]?.indexOf('STATUS'));
    expect(human.stdout).toContain(ids[0]);
  });

  it('says so when there are no sessions', async () => {
    const r = await cli('nobody', ['session', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('No sessions.\n');
  });

  it('refuses an unknown --status and a --limit over 100 (exit 2)', async () => {
    expect((await cli('list-user', ['session', 'list', '--status', 'weird'])).code).toBe(2);
    expect((await cli('list-user', ['session', 'list', '--limit', '101'])).code).toBe(2);
  });
});

describe('session delete', () => {
  it('refuses without --yes when not on a terminal (exit 2) and keeps the session', async () => {
    const id = json<SessionJson>(await cli('delete-user', ['session', 'create', '--json'])).session_id;
    const r = await cli('delete-user', ['session', 'delete', id]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect((await server.getSession(id, 'delete-user')).status).toBe(200);
  });

  it('erases the session with --yes', async () => {
    const id = json<SessionJson>(await cli('delete-user', ['session', 'create', '--json'])).session_id;
    const r = await cli('delete-user', ['session', 'delete', id, '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toEqual({ session_id: id, deleted: true });
    expect((await server.getSession(id, 'delete-user')).status).toBe(404);
    const again = await cli('delete-user', ['session', 'delete', id, '--yes']);
    expect(again.code).toBe(4);
  });
});
