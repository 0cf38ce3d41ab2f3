import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename } from 'node:path'
// The ES module build: bundled and tree-shaken (the package's main is UMD, which bundles whole).
import { printParseErrorCode, visit } from 'jsonc-parser/lib/esm/main.js'
import { WorkersVersionError } from '../core/errors.js'
import { MAX_NESTING, describeKeyPath, isRecord, pathBeyondNesting } from '../core/guards.js'

// Reads wrangler.json/jsonc/toml into plain data. Objects have no prototype, so
// a `__proto__` key is an ordinary (reported) key and never changes what the
// other keys mean, as smol-toml already does for TOML. Nesting is bounded: a
// wrangler config is a few levels deep, and a hostile one must not overflow the stack.

/** Deeper than any wrangler config needs; deep enough for any `vars` JSON value worth sending. */
const MAX_DEPTH = MAX_NESTING

/** `line:column` (1-based) of a character offset. */
function lineColumn(text: string, offset: number): string {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return `${line}:${offset - lineStart + 1}`
}

function fail(file: string, problems: string[]): never {
  throw new WorkersVersionError(
    'INVALID_WRANGLER_CONFIG',
    `Cannot read ${basename(file)} (${file}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  )
}

/**
 * More keys than any one object of a wrangler config needs (`vars` allows 128). Checked while
 * parsing, because inserting millions of keys into one object took seconds before any later
 * check could refuse them.
 */
const MAX_OBJECT_KEYS = 10_000

/** Larger than any wrangler config needs: checked before parsing, whose cost grows with the file. */
const MAX_CONFIG_CHARS = 4 * 1024 * 1024

/** Parsing stops at the first offset that passes a bound; `problem` says which. */
class OverLimit extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(problem)
  }
}

type Container = Record<string, unknown> | unknown[]

/** JSONC into prototype-less objects; syntax errors as `line:column: Code`. */
function parseJsonc(text: string, file: string): unknown {
  const errors: string[] = []
  const stack: Container[] = []
  /** Keys seen so far in each open object (arrays count nothing). */
  const keyCounts: number[] = []
  let root: unknown
  let key = ''
  const add = (value: unknown) => {
    const parent = stack.at(-1)
    if (parent === undefined) root = value
    else if (Array.isArray(parent)) parent.push(value)
    else parent[key] = value
  }
  const open = (container: Container, offset: number) => {
    if (stack.length >= MAX_DEPTH)
      throw new OverLimit(
        offset,
        `nested more than ${MAX_DEPTH} levels deep; a wrangler config never needs that`,
      )
    add(container)
    stack.push(container)
    keyCounts.push(0)
  }
  const close = () => {
    stack.pop()
    keyCounts.pop()
  }
  const property = (name: string, offset: number) => {
    key = name
    const count = (keyCounts[keyCounts.length - 1] ?? 0) + 1
    keyCounts[keyCounts.length - 1] = count
    if (count > MAX_OBJECT_KEYS)
      throw new OverLimit(
        offset,
        `an object with more than ${MAX_OBJECT_KEYS.toLocaleString('en-US')} keys; a wrangler config never needs that (\`vars\` allows 128)`,
      )
  }
  try {
    visit(
      text,
      {
        onObjectBegin: (offset) => open(Object.create(null) as Record<string, unknown>, offset),
        onArrayBegin: (offset) => open([], offset),
        onObjectProperty: property,
        onObjectEnd: close,
        onArrayEnd: close,
        onLiteralValue: add,
        onError: (code, offset) =>
          void errors.push(`${lineColumn(text, offset)}: ${printParseErrorCode(code)}`),
      },
      { allowTrailingComma: true, disallowComments: false },
    )
  } catch (error) {
    if (!(error instanceof OverLimit)) throw error
    fail(file, [`${lineColumn(text, error.offset)}: ${error.problem}`])
  }
  if (errors.length > 0) fail(file, errors.slice(0, 20))
  return root
}

/** Reads a wrangler.json/jsonc/toml file into a plain object; syntax errors carry line:column. */
export function parseWranglerFile(file: string): Record<string, unknown> {
  let text: string
  try {
    // Editors on Windows save a byte-order mark; TOML and JSON readers alike ignore it.
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '')
  } catch (error) {
    fail(file, [(error as Error).message])
  }
  // Before parsing: smol-toml took 18 s and 2.5 GB over a 25 MB file of two million vars.
  if (text.length > MAX_CONFIG_CHARS)
    fail(file, [
      `${text.length.toLocaleString('en-US')} characters, over the ${MAX_CONFIG_CHARS.toLocaleString('en-US')} a wrangler config may have here (its 128 vars of 5 KB each are 640 KB); keep data in KV, R2 or modules`,
    ])
  let value: unknown
  if (file.endsWith('.toml')) {
    // Loaded for TOML configs only (JSON ones are the common case, and loading it took 15 ms).
    // It is CommonJS too, so it loads synchronously, as the config is read.
    const { parse: parseToml, TomlError } = createRequire(import.meta.url)(
      'smol-toml',
    ) as typeof import('smol-toml')
    try {
      value = parseToml(text, { maxDepth: MAX_DEPTH })
    } catch (error) {
      if (error instanceof TomlError)
        fail(file, [`${error.line}:${error.column}: ${error.message.split('\n')[0]}`])
      fail(file, [String(error)])
    }
  } else {
    value = parseJsonc(text, file)
  }
  if (!isRecord(value)) fail(file, ['the configuration must be an object'])
  // smol-toml bounds tables and arrays but not dotted keys: `a.b.c… = 1` nests one level per dot.
  const deep = pathBeyondNesting(value)
  if (deep)
    fail(file, [
      `the key ${describeKeyPath(deep)} nests more than ${MAX_DEPTH} levels deep; a wrangler config never needs that`,
    ])
  return value
}
