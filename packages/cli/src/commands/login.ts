import { UsageError } from '../cli-errors.js';
import type { CommandContext } from '../context.js';

/** `login`: checks the URL and credentials with a cheap authenticated call, then saves them in the profile. */
export async function execute(ctx: CommandContext): Promise<void> {
  const { settings, out, store } = ctx;
  if (!settings.apiKey && !settings.userId) {
    throw new UsageError(
      'login needs an API key.',
      'Pass --api-key <key> (or --user-id <id> for a demo server).',
    );
  }
  const client = await ctx.client();
  // The cheapest authenticated call: one session at most.
  await client.listSessions({ limit: 1, signal: ctx.signal });
  store.update(settings.profile, {
    url: settings.url,
    apiKey: settings.apiKey,
    userId: settings.userId,
  });
  const auth = settings.apiKey ? 'api-key' : 'user-id';
  out.result({ profile: settings.profile, url: settings.url, auth, config_path: store.path });
  out.line(
    `Logged in to ${settings.url} (profile ${settings.profile}, ${auth === 'api-key' ? 'API key' : `user ${settings.userId}`}).`,
  );
  out.note(`Saved to ${store.path}`);
}
