import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser'
import { parse as parseToml, TomlError } from 'smol-toml'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'

/** `line:column` (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): string {
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

/** Reads a wrangler.json/jsonc/toml file into a plain object; syntax errors carry line:column. */
export function parseWranglerFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    fail(file, [(error as Error).message])
  }
  let value: unknown
  if (file.endsWith('.toml')) {
    try {
      value = parseToml(text)
    } catch (error) {
      if (error instanceof TomlError) fail(file, [`${error.line}:${error.column}: ${error.message.split('\n')[0]}`])
      fail(file, [String(error)])
    }
  } else {
    const errors: ParseError[] = []
    value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false })
    if (errors.length > 0) {
      fail(file, errors.slice(0, 20).map((e) => `${lineColumn(text, e.offset)}: ${printParseErrorCode(e.error)}`))
    }
  }
  if (!isRecord(value)) fail(file, ['the configuration must be an object'])
  return value
}
