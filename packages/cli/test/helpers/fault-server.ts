import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'error-500' | 'error-503' | 'drop' | 'hang';

/** A local HTTP server that fails every request in one way, and counts them. */
export class FaultServer {
  requests = 0;
  private readonly server: Server;

  private constructor(fault: Fault) {
    this.server = createServer((req, res) => {
      this.requests += 1;
      req.resume();
      if (fault === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault === 'hang') return; // never answers
      const status = fault === 'error-500' ? 500 : 503;
      const code = status === 500 ? 'internal' : 'service_unavailable';
      res.writeHead(status, {
        'content-type': 'application/problem+json',
        ...(status === 503 ? { 'retry-after': '0' } : {}),
      });
      res.end(
        JSON.stringify({
          type: `https://face-encode.dev/problems/${code}`,
          title: 'Injected fault',
          status,
          detail: 'Injected fault.',
          code,
          request_id: 'req-fault',
          error: 'Injected fault.',
        }),
      );
    });
  }

  static async start(fault: Fault): Promise<FaultServer> {
    const fs = new FaultServer(fault);
    await new Promise<void>((resolve) => fs.server.listen(0, '127.0.0.1', resolve));
    return fs;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
