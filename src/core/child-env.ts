/**
 * The environment a child process gets: the build's own, without the Cloudflare credentials and
 * without the secrets the build reads. A child such as git can be made to run a program the
 * repository's config names (an fsmonitor hook, a clean filter); whatever it runs must not be
 * able to read what the plugin is about to send to Cloudflare.
 */

/** wrangler's current and legacy credential variables; every `CLOUDFLARE_*` goes too. */
const LEGACY_CREDENTIALS = new Set(['CF_API_TOKEN', 'CF_API_KEY', 'CF_EMAIL', 'CF_ACCOUNT_ID'])

/**
 * `withheld` names more variables to leave out: the `secrets.fromEnv` names. Names compare
 * case-insensitively, because Windows treats `Path` and `PATH` as one variable.
 */
export function childEnvironment(env: NodeJS.ProcessEnv, withheld: readonly string[] = []): NodeJS.ProcessEnv {
  const dropped = new Set(withheld.map((name) => name.toUpperCase()))
  const out: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(env)) {
    const upper = name.toUpperCase()
    if (upper.startsWith('CLOUDFLARE_') || LEGACY_CREDENTIALS.has(upper) || dropped.has(upper)) continue
    out[name] = value
  }
  return out
}
