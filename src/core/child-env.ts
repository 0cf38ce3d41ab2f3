/**
 * The environment a child process gets: the build's own, without the Cloudflare credentials and
 * without the secrets the build reads. A child such as git can be made to run a program the
 * repository's config names (an fsmonitor hook, a clean filter), and workerd (preflight) runs the
 * Worker's code; neither must be able to read what the plugin is about to send to Cloudflare.
 */

/** wrangler's current and legacy credential variables; every `CLOUDFLARE_*` goes too. */
const LEGACY_CREDENTIALS = new Set(['CF_API_TOKEN', 'CF_API_KEY', 'CF_EMAIL', 'CF_ACCOUNT_ID'])

/** What a child must not see, besides the credential variables every build withholds. */
export interface Withheld {
  /** Variable names: the `secrets.fromEnv` names. Compared case-insensitively (Windows treats `Path` and `PATH` as one). */
  names?: readonly string[]
  /**
   * Secret values (the API token and key as resolved, whatever variable they came from): any
   * variable holding one, trimmed or not, is withheld too, so `apiToken: process.env.MY_TOKEN`
   * does not hand `MY_TOKEN` to the child.
   */
  values?: readonly (string | undefined)[]
}

/** The names of `env`'s variables a child must not see. */
export function withheldNames(env: NodeJS.ProcessEnv, withheld: Withheld = {}): string[] {
  const names = new Set((withheld.names ?? []).map((name) => name.toUpperCase()))
  const values = new Set(
    (withheld.values ?? [])
      .filter((value): value is string => typeof value === 'string' && value.trim() !== '')
      .map((value) => value.trim()),
  )
  return Object.entries(env)
    .filter(([name, value]) => {
      const upper = name.toUpperCase()
      return (
        upper.startsWith('CLOUDFLARE_') ||
        LEGACY_CREDENTIALS.has(upper) ||
        names.has(upper) ||
        (value !== undefined && values.has(value.trim()))
      )
    })
    .map(([name]) => name)
}

/** `env` without the variables {@link withheldNames} lists. */
export function childEnvironment(
  env: NodeJS.ProcessEnv,
  withheld: Withheld = {},
): NodeJS.ProcessEnv {
  const dropped = new Set(withheldNames(env, withheld))
  return Object.fromEntries(Object.entries(env).filter(([name]) => !dropped.has(name)))
}
