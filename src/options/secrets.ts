import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'

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
export type SecretBinding = { type: 'inherit'; name: string } | { type: 'secret_text'; name: string; text: string }

/** Placeholder written instead of a secret's value (request.json, dry runs). */
export const REDACTED = '<redacted>'

/** The placeholder for a `fromEnv` secret when no value is read (dry run). */
export function fromEnvPlaceholder(name: string): string {
  return `<redacted: from env ${name}>`
}

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
      out.push({ type: 'secret_text', name, text: fromEnvPlaceholder(name) })
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

function redactBinding(binding: unknown): unknown {
  if (!isRecord(binding)) return binding
  if (binding.type === 'secret_text' && typeof binding.text === 'string' && !binding.text.startsWith('<redacted')) {
    return { ...binding, text: REDACTED }
  }
  if (binding.type === 'secret_key') {
    const copy = { ...binding }
    if (copy.key_base64 !== undefined) copy.key_base64 = REDACTED
    if (copy.key_jwk !== undefined) copy.key_jwk = REDACTED
    return copy
  }
  return binding
}

/**
 * A copy of a request body with secret values replaced by a placeholder:
 * `secret_text.text`, `secret_key.key_base64` and `secret_key.key_jwk`.
 * Dry-run placeholders (`<redacted: from env NAME>`) are kept as they are.
 */
export function redactSecrets<T>(body: T): T {
  if (!isRecord(body) || !Array.isArray(body.bindings)) return body
  return { ...body, bindings: body.bindings.map(redactBinding) }
}
