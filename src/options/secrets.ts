import { WorkersVersionError } from '../core/errors.js'
import { REDACTION } from '../core/redact.js'

// The Versions API has no `keep_bindings`: a secret that should survive into the
// new version must be listed, either kept (`inherit`) or set from the build's
// environment (`fromEnv`).

/** Secrets of the version. */
export interface SecretsOption {
  /** Secrets to keep from the Worker's current version (sent as `{ type: "inherit", name }`). */
  inherit?: string[]
  /** Secrets to set from the environment variable of the same name when uploading (sent as `secret_text`). */
  fromEnv?: string[]
}

/** A secret binding as the Create Version API takes it. */
export type SecretBinding =
  { type: 'inherit'; name: string } | { type: 'secret_text'; name: string; text: string }

/**
 * The bindings for `secrets`. With `forUpload`, `fromEnv` values are read from
 * `env` and a variable that is unset (or empty) is a `MISSING_SECRET` error;
 * without it (dry run) a placeholder stands in and nothing is required.
 */
export function secretBindings(
  secrets: SecretsOption | undefined,
  env: NodeJS.ProcessEnv,
  opts: { forUpload: boolean },
): SecretBinding[] {
  const out: SecretBinding[] = []
  for (const name of secrets?.inherit ?? []) out.push({ type: 'inherit', name })
  const missing: string[] = []
  for (const name of secrets?.fromEnv ?? []) {
    if (!opts.forUpload) {
      // A dry run reads no value: the placeholder request.json shows for any secret stands in.
      out.push({ type: 'secret_text', name, text: REDACTION })
      continue
    }
    const text = Object.hasOwn(env, name) ? env[name] : undefined
    if (text === undefined || text === '') missing.push(name)
    else out.push({ type: 'secret_text', name, text })
  }
  if (missing.length > 0) {
    const list = missing.map((name) => `"${name}"`).join(', ')
    throw new WorkersVersionError(
      'MISSING_SECRET',
      `Environment variable${missing.length > 1 ? 's' : ''} ${list} ${missing.length > 1 ? 'are' : 'is'} not set (or empty), ` +
        `but \`secrets.fromEnv\` lists ${missing.length > 1 ? 'them' : 'it'}. Set ${missing.length > 1 ? 'them' : 'it'} in the environment of the build ` +
        `(e.g. a CI secret), or move the name to \`secrets.inherit\` to keep the value of the current version.`,
    )
  }
  return out
}
