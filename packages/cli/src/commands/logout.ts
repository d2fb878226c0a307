import type { CommandContext } from '../context.js';

/** `logout`: forgets the profile (URL and credentials). */
export async function execute(ctx: CommandContext): Promise<void> {
  const { settings, out, store } = ctx;
  const removed = store.delete(settings.profile);
  out.result({ profile: settings.profile, removed });
  out.line(
    removed
      ? `Logged out (profile ${settings.profile} removed).`
      : `Profile ${settings.profile} had no saved credentials.`,
  );
}
