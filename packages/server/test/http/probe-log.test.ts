import { afterEach, expect, it } from 'vitest';
import { captureLog } from '../support/log-capture.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Load balancers and orchestrators probe every few seconds per instance: at `info` those lines would
// outnumber the API's own. Probes log at `debug`; every other request still logs one `info` line.
let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

const completed = (lines: ReturnType<typeof captureLog>['lines']) =>
  lines.filter((l) => l.msg === 'request completed').map((l) => ({ url: l.req?.url, level: l.level }));

it('logs probe requests below info, and every API request at info', async () => {
  const log = captureLog('info');
  server = await startTestServer({}, { logger: log.logger });
  for (const path of ['/healthz', '/readyz', '/metrics']) await (await server.call(path)).arrayBuffer();
  await (await server.call('/v1/sessions', { user: 'u' })).arrayBuffer();
  await (await server.call('/v1/nothing-here', { user: 'u' })).arrayBuffer();
  await new Promise((r) => setTimeout(r, 50));
  expect(completed(log.lines)).toEqual([
    { url: '/v1/sessions', level: 30 },
    { url: '/v1/nothing-here', level: 30 },
  ]);
});

it('logs probe requests at debug when the log level is debug', async () => {
  const log = captureLog('debug');
  server = await startTestServer({}, { logger: log.logger });
  await (await server.call('/healthz')).arrayBuffer();
  await (await server.call('/readyz?x=1')).arrayBuffer();
  await new Promise((r) => setTimeout(r, 50));
  expect(completed(log.lines)).toEqual([
    { url: '/healthz', level: 20 },
    { url: '/readyz?x=1', level: 20 },
  ]);
});
