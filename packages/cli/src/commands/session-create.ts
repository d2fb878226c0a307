import type { CreateSessionRequest } from '@face-encode/sdk/node';
import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';

/** `session create`: opens a session; `--quiet` prints only its id. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const { ttl, callbackUrl, vendorData } = input.options as {
    ttl?: number;
    callbackUrl?: string;
    vendorData?: string;
  };
  // Partial: the generated type marks defaulted fields required, but the server fills them.
  const body: Partial<CreateSessionRequest> = {
    ...(ttl !== undefined ? { ttl_seconds: ttl } : {}),
    ...(callbackUrl !== undefined ? { callback_url: callbackUrl } : {}),
    ...(vendorData !== undefined ? { vendor_data: vendorData } : {}),
  };
  const client = await ctx.client();
  const session = await client.createSession(body as CreateSessionRequest, { signal: ctx.signal });
  const { out } = ctx;
  out.result(session);
  if (out.quiet) {
    out.line(session.session_id);
    return;
  }
  out.line(`Created session ${session.session_id} (expires ${session.expires_at}).`);
  if (session.webhook_secret) out.line(`Webhook secret (shown once, keep it): ${session.webhook_secret}`);
  out.line(`Next: face-encode upload ${session.session_id} <files...>`);
}
