import type { CommandContext } from '../context.js';
import { maskSecret } from './config-keys.js';

/** `config list`: the profile's saved values (API key masked), the effective URL and the file path. */
export async function execute(ctx: CommandContext): Promise<void> {
  const { settings, store, out } = ctx;
  const saved = store.get(settings.profile);
  const values = {
    url: saved.url ?? null,
    api_key: saved.apiKey ? maskSecret(saved.apiKey) : null,
    user_id: saved.userId ?? null,
  };
  out.result({
    profile: settings.profile,
    path: store.path,
    profiles: store.names(),
    values,
    effective_url: settings.url,
  });
  out.line(`Profile: ${settings.profile}`);
  out.line(`Config file: ${store.path}`);
  out.line(`url      ${values.url ?? '(not set)'}`);
  out.line(`api-key  ${values.api_key ?? '(not set)'}`);
  out.line(`user-id  ${values.user_id ?? '(not set)'}`);
  out.line(`Effective URL: ${settings.url} (from ${settings.sources.url})`);
}
