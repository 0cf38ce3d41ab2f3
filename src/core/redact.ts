/**
 * One place that knows every secret of a run (API token or key, `secret_text`
 * and `fromEnv` values, upload JWTs) and removes them from anything about to
 * leave the process: messages, log lines, error objects, results written to
 * files. Redaction always runs before any truncation, so a cut can never leave
 * part of a secret behind.
 */

import { NeedleScanner, type Needle } from './needle-scan.js'

/** What a secret is replaced with. */
export const REDACTION = '[redacted]'

/**
 * Values shorter than this are not treated as secrets: replacing every `abc`
 * would mangle ordinary output (ids, words) while protecting nothing real.
 */
export const MIN_SECRET_LENGTH = 4

/**
 * Values shorter than this (4 to 7 characters) are redacted as whole words only: a short value
 * is also part of ordinary words, ids and URLs (`dev` in `workers.dev`), which a replacement
 * inside them would mangle, while an echo of the value on its own is still removed.
 */
export const SHORT_SECRET_LENGTH = 8

/**
 * Host names of the platform and of this machine, public by nature: a secret whose value is one of
 * them (a `fromEnv` value `localhost`, say) is not replaced inside a URL's host, which would
 * break every preview URL on that host (`http://…-w.[redacted]:8787/`) while hiding a name that
 * every run prints anyway. Everywhere else, such a value is still redacted.
 */
const PUBLIC_HOSTS = ['localhost', 'workers.dev', 'cloudflare.com']
/** IPv4 loopback and `[::1]`, as whole hosts. */
const LOOPBACK_ADDRESS = /^(?:127(?:\.\d{1,3}){3}|\[::1\])$/
/** A URL's scheme and authority: the host is what follows the last `@` and precedes a `:port`. */
const URL_AUTHORITY = /[a-z][a-z0-9+.-]*:\/\/([^\s/?#"'<>\\]*)/gi

/**
 * A credential is also redacted in part: any run of this many or more of its consecutive
 * characters (a token cut short by a server's echo or a log's column limit). Shorter runs are
 * left alone: they would match ordinary output by chance.
 */
export const CREDENTIAL_FRAGMENT = 12

export class Redactor {
  #secrets = new Set<string>()
  /** Secrets whose fragments are secret too (the API token and key). */
  #credentials = new Set<string>()
  #scanner: NeedleScanner | undefined

  constructor(secrets: Iterable<string | undefined | null> = []) {
    this.add(...secrets)
  }

  /** Registers more secrets (e.g. an assets upload JWT once the server issued it). Returns `this`. */
  add(...secrets: (string | undefined | null)[]): this {
    let changed = false
    for (const raw of secrets) {
      if (typeof raw !== 'string') continue
      for (const value of new Set([raw, raw.trim()])) {
        if (value.length < MIN_SECRET_LENGTH || this.#secrets.has(value)) continue
        this.#secrets.add(value)
        changed = true
      }
    }
    if (changed) this.#rebuild()
    return this
  }

  /**
   * Registers credentials: each is a secret, and so is any run of {@link CREDENTIAL_FRAGMENT} or
   * more of its consecutive characters. Returns `this`.
   */
  addCredential(...credentials: (string | undefined | null)[]): this {
    for (const raw of credentials) {
      if (typeof raw !== 'string') continue
      const value = raw.trim()
      if (value.length > CREDENTIAL_FRAGMENT && !this.#credentials.has(value))
        this.#credentials.add(value)
    }
    return this.add(...credentials).#rebuildIfNeeded()
  }

  /** How many secrets are known (tests and diagnostics; never the values). */
  get size(): number {
    return this.#secrets.size
  }

  /**
   * `text` with every known secret (raw, JSON-escaped, URL-encoded or HTML-escaped) replaced by
   * {@link REDACTION}; a short one ({@link SHORT_SECRET_LENGTH}) only as a whole word, and none
   * where it would only be a public host name inside a URL ({@link PUBLIC_HOSTS}).
   */
  redact(text: string): string {
    if (this.#scanner === undefined || text.length === 0) return text
    const spans = text.includes('://') ? publicHostSpans(text) : []
    return this.#scanner.replaceAll(
      text,
      REDACTION,
      spans.length === 0
        ? undefined
        : (start, end) => spans.some(([from, to]) => from <= start && end <= to),
    )
  }

  /** Whether `text` contains a known secret in any of its forms. */
  leaks(text: string): boolean {
    return this.redact(text) !== text
  }

  /**
   * A redacted copy of `value`: strings anywhere inside (object keys included),
   * numbers whose digits are a secret, errors with their message, stack,
   * `cause`, `errors` and every other own property (enumerable or not). The
   * copy keeps prototypes, so `instanceof` still holds. Cycles and nesting of
   * any depth are handled without recursion.
   */
  redactDeep<T>(value: T): T {
    if (this.#scanner === undefined) return value
    return deepCopy(value, (text) => this.redact(text)) as T
  }

  #builtCredentials = 0

  #rebuildIfNeeded(): this {
    if (this.#builtCredentials !== this.#credentials.size) this.#rebuild()
    return this
  }

  /**
   * One scanner for everything, made once per change of the secrets (not per call): every form
   * of every secret, and each credential's fragments, which run on to where the text stops
   * agreeing with the credential. Case-sensitive, with the cased variants as needles of their own.
   */
  #rebuild(): void {
    const needles = new Map<string, Needle>()
    for (const secret of this.#secrets) {
      const wholeWord = secret.length < SHORT_SECRET_LENGTH
      for (const form of formsOf(secret))
        if (form.length >= MIN_SECRET_LENGTH)
          needles.set(form, { text: form, ...(wholeWord && { wholeWord }) })
    }
    for (const credential of this.#credentials) {
      for (let at = 0; at + CREDENTIAL_FRAGMENT <= credential.length; at++) {
        const text = credential.slice(at, at + CREDENTIAL_FRAGMENT)
        // Keyed apart from the forms: a fragment equal to a form still runs on along its credential.
        needles.set(`${at}\u0000${credential}`, { text, extendsAlong: { credential, at } })
      }
    }
    this.#builtCredentials = this.#credentials.size
    this.#scanner = needles.size === 0 ? undefined : new NeedleScanner([...needles.values()])
  }
}

/**
 * Where `text`'s URLs name a public host ({@link PUBLIC_HOSTS} as the host or its last labels, or a
 * loopback address): the spans of those names, as [start, end) offsets.
 */
function publicHostSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  for (const match of text.matchAll(URL_AUTHORITY)) {
    const authority = match[1]!
    const hostStart =
      match.index + match[0].length - authority.length + authority.lastIndexOf('@') + 1
    const raw = /^(?:\[[^\]]*\]|[^:]*)/.exec(
      text.slice(hostStart, match.index + match[0].length),
    )![0]
    const host = raw.toLowerCase()
    const hostEnd = hostStart + raw.length
    if (LOOPBACK_ADDRESS.test(host)) spans.push([hostStart, hostEnd])
    for (const name of PUBLIC_HOSTS)
      if (host === name || host.endsWith(`.${name}`)) spans.push([hostEnd - name.length, hostEnd])
  }
  return spans
}

/**
 * The secret's UTF-8 bytes in base64 as they appear inside a longer base64 text: for each of the
 * three positions the secret can start at within a 3-byte group, only the characters that
 * depend on the secret's bytes alone (a neighbour's bits change the others), in the standard
 * and the URL-safe alphabet. Plus hex, lower- and upper-case.
 */
function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const hex = bytes.toString('hex')
  const forms = [hex, hex.toUpperCase()]
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    const first = Math.ceil((offset * 8) / 6)
    const end = Math.floor(((offset + bytes.length) * 8) / 6)
    const standard = encoded.slice(first, end)
    forms.push(standard, standard.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  return forms
}

/**
 * The ways a secret shows up when a server echoes it: as is, inside JSON text
 * (once or twice escaped), in a URL (also of the JSON text, when a server puts
 * the request body in a link), as a form value, HTML-escaped, upper- or
 * lower-cased, and base64- or hex-encoded ({@link encodedForms}).
 */
function formsOf(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1)
  const jsonTwice = JSON.stringify(json).slice(1, -1)
  const forms = new Set<string>(encodedForms(secret))
  for (const text of [secret, json, jsonTwice, secret.toUpperCase(), secret.toLowerCase()]) {
    forms.add(text)
    for (const encoded of [
      encodeURIComponent(text),
      encodeURI(text),
      new URLSearchParams({ s: text }).toString().slice(2),
    ]) {
      forms.add(encoded)
      // Percent-escapes are case-insensitive (RFC 3986 §2.1): `%2f` as well as `%2F`.
      forms.add(encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()))
    }
    forms.add(
      text
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&#39;'),
    )
  }
  return [...forms]
}

/**
 * An empty error with the original's prototype. Made by `new Error` so it is
 * a real error object (`util.types.isNativeError`, how loggers and
 * `util.inspect` recognise errors), not just something with Error's prototype.
 */
function errorShell(original: Error): Error {
  const shell = new Error()
  Object.setPrototypeOf(shell, Object.getPrototypeOf(original) as object | null)
  for (const key of Reflect.ownKeys(shell)) Reflect.deleteProperty(shell, key)
  return shell
}

type Slot = {
  target: object
  key: PropertyKey
  descriptor: PropertyDescriptor | undefined
  value: unknown
}

/**
 * Iterative deep copy. Each object gets its shell at first sight (recorded so
 * cycles point at the copy); its properties are queued and filled later, so
 * the call stack never grows with the depth of the value.
 */
function deepCopy(root: unknown, redact: (text: string) => string): unknown {
  const copies = new Map<object, object>()
  const queue: Slot[] = []

  const copyOf = (value: unknown): unknown => {
    if (typeof value === 'string') return redact(value)
    if (typeof value === 'number' || typeof value === 'bigint') {
      const text = String(value)
      return redact(text) === text ? value : redact(text)
    }
    if (typeof value !== 'object' || value === null) return value // booleans, symbols, functions, undefined
    const known = copies.get(value)
    if (known) return known
    return shellOf(value)
  }

  const shellOf = (value: object): object => {
    if (value instanceof Date) return remember(value, new Date(value.getTime()))
    // Bytes are not text; callers never put secrets in them and copying them is costly.
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value
    if (value instanceof Map) {
      const map = remember(value, new Map())
      for (const [k, v] of value) map.set(copyOf(k), copyOf(v))
      return map
    }
    if (value instanceof Set) {
      const set = remember(value, new Set())
      for (const v of value) set.add(copyOf(v))
      return set
    }
    const shell = remember(
      value,
      Array.isArray(value)
        ? []
        : value instanceof Error
          ? errorShell(value)
          : Object.create(Object.getPrototypeOf(value) as object | null),
    )
    for (const key of Reflect.ownKeys(value)) {
      if (key === 'length' && Array.isArray(value)) continue // follows from the indexes
      let descriptor: PropertyDescriptor | undefined
      let item: unknown
      try {
        descriptor = Object.getOwnPropertyDescriptor(value, key)
        item =
          descriptor && 'value' in descriptor
            ? descriptor.value
            : (value as Record<PropertyKey, unknown>)[key]
      } catch {
        item = '[unreadable]'
      }
      queue.push({
        target: shell,
        key: typeof key === 'string' ? redact(key) : key,
        descriptor,
        value: item,
      })
    }
    return shell
  }

  const remember = <C extends object>(original: object, copy: C): C => {
    copies.set(original, copy)
    return copy
  }

  const result = copyOf(root)
  while (queue.length > 0) {
    const slot = queue.pop()!
    const copied = copyOf(slot.value)
    // Accessors become plain data: the copy must not run the original's getters again.
    Object.defineProperty(slot.target, slot.key, {
      value: copied,
      enumerable: slot.descriptor?.enumerable ?? true,
      writable: slot.descriptor?.writable ?? true,
      configurable: true,
    })
  }
  return result
}

/** Private members of a JSON Web Key (RFC 7518 §6): the parts of a `secret_key` binding that are secret. */
const JWK_PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

/**
 * The one list of binding fields whose values are secret: `secret_text.text` (where `fromEnv`
 * values end up), `secret_key.key_base64` and `secret_key.key_jwk`. The redactor's seeds and
 * `request.json`'s placeholders both come from it.
 */
function secretFieldsOf(binding: Record<string, unknown>): readonly string[] {
  if (binding.type === 'secret_text') return ['text']
  if (binding.type === 'secret_key') return ['key_base64', 'key_jwk']
  return []
}

/** The secret values in a list of Create Version bindings, with the private members of a `key_jwk` each on its own. */
export function secretsInBindings(bindings: unknown): string[] {
  if (!Array.isArray(bindings)) return []
  const out: string[] = []
  for (const binding of bindings as unknown[]) {
    if (typeof binding !== 'object' || binding === null) continue
    const b = binding as Record<string, unknown>
    for (const field of secretFieldsOf(b)) {
      const value = b[field]
      // A JWK's members are what a server would echo, so each is a secret of its own.
      const jwk =
        field === 'key_jwk' ? (typeof value === 'string' ? safeJson(value) : value) : undefined
      if (typeof jwk === 'object' && jwk !== null) {
        for (const member of JWK_PRIVATE) {
          const part = (jwk as Record<string, unknown>)[member]
          if (typeof part === 'string') out.push(part)
        }
      }
      if (
        typeof value === 'string' &&
        (field !== 'key_jwk' || (typeof jwk === 'object' && jwk !== null))
      )
        out.push(value)
    }
  }
  return out
}

/**
 * A copy of the body's fields with every secret value replaced by {@link REDACTION}: what
 * `request.json` shows where the request carries a secret (a secret binding's value, and the
 * static assets' completion token, which lets any version of this Worker use the uploaded files).
 * Everything else is the same object.
 */
export function withSecretsRedacted<T>(fields: T): T {
  if (typeof fields !== 'object' || fields === null) return fields
  let out = fields
  const assets = (fields as { assets?: unknown }).assets
  if (
    typeof assets === 'object' &&
    assets !== null &&
    typeof (assets as { jwt?: unknown }).jwt === 'string'
  ) {
    out = { ...out, assets: { ...assets, jwt: REDACTION } }
  }
  // A version's `bindings` array, or a Preview deployment's `env` record of the same bindings.
  const { bindings, env } = fields as { bindings?: unknown; env?: unknown }
  if (Array.isArray(bindings) && bindings.some(hasSecret))
    out = { ...out, bindings: bindings.map(redactBinding) }
  if (
    typeof env === 'object' &&
    env !== null &&
    !Array.isArray(env) &&
    Object.values(env).some(hasSecret)
  ) {
    out = {
      ...out,
      env: Object.fromEntries(
        Object.entries(env).map(([name, binding]) => [name, redactBinding(binding)]),
      ),
    }
  }
  return out
}

function hasSecret(binding: unknown): boolean {
  return (
    typeof binding === 'object' &&
    binding !== null &&
    secretFieldsOf(binding as Record<string, unknown>).length > 0
  )
}

function redactBinding(binding: unknown): unknown {
  if (typeof binding !== 'object' || binding === null) return binding
  const b = binding as Record<string, unknown>
  const present = secretFieldsOf(b).filter((field) => b[field] !== undefined)
  return present.length === 0
    ? binding
    : { ...b, ...Object.fromEntries(present.map((field) => [field, REDACTION])) }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Everything that makes a run's redactor: credentials, the body's bindings, any other secret. */
export interface RunSecrets {
  credentials?: { apiToken?: string | undefined; apiKey?: string | undefined }
  /** The bindings as uploaded, `fromEnv` values read (the upload plan's `version.bindings`). */
  bindings?: unknown
  /** Anything else: assets upload / completion JWTs, … */
  secrets?: Iterable<string | undefined>
}

/**
 * The redactor for one upload, made once when its session opens (`startUpload`) and passed to
 * every API call; every line, file and callback value that leaves the build runs through it.
 */
export function redactorFor(run: RunSecrets): Redactor {
  return new Redactor([...secretsInBindings(run.bindings), ...(run.secrets ?? [])]).addCredential(
    run.credentials?.apiToken,
    run.credentials?.apiKey,
  )
}
