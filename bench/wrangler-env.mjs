// The environment every benchmark runs wrangler with: offline against the local emulator
// (its URL, token and account), metrics and banner off, a HOME of its own.
export function wranglerEnv(emulator, home) {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: home,
    CI: 'true',
    CLOUDFLARE_API_BASE_URL: emulator.url,
    CLOUDFLARE_API_TOKEN: emulator.token,
    CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
  }
}
