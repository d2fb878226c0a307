import type { Session, SessionStatus } from '@face-encode/sdk/node';
import type { CommandContext } from '../context.js';
import { formatSessionHeader, formatSessionRow } from '../format-summary.js';
import type { CommandInput } from '../program.js';

/** `session list`: one page (or, with `--all`, every page) of the caller's sessions, newest first. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const { status, limit, cursor, all } = input.options as {
    status?: SessionStatus;
    limit: number;
    cursor?: string;
    all?: boolean;
  };
  const client = await ctx.client();
  let items: Session[] = [];
  let nextCursor: string | null = null;
  if (all) {
    for await (const session of client.iterateSessions({
      limit,
      signal: ctx.signal,
      ...(status ? { status } : {}),
    }))
      items.push(session);
  } else {
    const page = await client.listSessions({
      limit,
      signal: ctx.signal,
      ...(status ? { status } : {}),
      ...(cursor ? { cursor } : {}),
    });
    items = page.items;
    nextCursor = page.next_cursor;
  }
  const { out } = ctx;
  out.result({ items, next_cursor: nextCursor });
  if (items.length === 0) {
    out.line('No sessions.');
    out.note(
      'Open one with face-encode session create, or encode selfies with face-encode encode <files...>.',
    );
    return;
  }
  out.line(formatSessionHeader());
  for (const session of items) out.line(formatSessionRow(session));
  if (nextCursor) out.note(`More: face-encode session list --cursor ${nextCursor}  (or --all)`);
}
