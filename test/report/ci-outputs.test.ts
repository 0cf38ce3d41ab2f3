import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Redactor } from '../../src/core/redact.js'
import { outputEntry, writeCiOutputs, writePreviewCiOutputs } from '../../src/report/ci-outputs.js'

/**
 * Reads a `$GITHUB_OUTPUT` file the way the Actions runner documents it: `name=value` lines, and
 * `name<<DELIMITER` followed by the value's lines up to a line that is exactly `DELIMITER`.
 * `lines` is how the file is split: at LF (the runner on Linux) or at any line break.
 */
function parseOutputs(text: string, lines: RegExp): Array<[string, string]> {
  const rows = text.split(lines)
  const outputs: Array<[string, string]> = []
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    if (row === '') continue
    const heredoc = row.indexOf('<<')
    const equals = row.indexOf('=')
    if (heredoc > 0 && (equals < 0 || heredoc < equals)) {
      const delimiter = row.slice(heredoc + 2)
      const value: string[] = []
      for (i++; i < rows.length && rows[i] !== delimiter; i++) value.push(rows[i]!)
      if (i >= rows.length)
        throw new Error(`output ${row.slice(0, heredoc)} has no closing delimiter`)
      outputs.push([row.slice(0, heredoc), value.join('\n')])
    } else {
      if (equals <= 0) throw new Error(`not an output line: ${JSON.stringify(row)}`)
      outputs.push([row.slice(0, equals), row.slice(equals + 1)])
    }
  }
  return outputs
}

const LF = /\n/
const ANY_BREAK = /\r\n|\r|\n/

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ci-outputs-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('CI outputs: no server value can add an output', () => {
  it("a line break in the version id, the preview URL and the current deployment's version id: exactly the four outputs, each value whole", async () => {
    const file = join(dir, 'github-output')
    await writeFile(file, 'earlier=1\n')
    const id = 'abc\nINJECTED_OUTPUT=pwned\nversion-id=evil'
    const url = 'https://x.example\r\npreview-url=https://evil.example\nEOF'
    const current = 'old\ntraffic<<EOF\nevil\nEOF'
    await writeCiOutputs(file, { id, number: 3, urls: [url] }, new Redactor(), [
      { version_id: id, percentage: 10 },
      { version_id: current, percentage: 90 },
    ])
    const text = await readFile(file, 'utf8')
    for (const lines of [LF, ANY_BREAK]) {
      expect(parseOutputs(text, lines).map(([name]) => name)).toEqual([
        'earlier',
        'version-id',
        'version-number',
        'preview-url',
        'traffic',
      ])
    }
    expect(parseOutputs(text, LF)).toEqual([
      ['earlier', '1'],
      ['version-id', id],
      ['version-number', '3'],
      ['preview-url', url],
      ['traffic', `${id}:10,${current}:90`],
    ])
  })

  it('single-line values stay name=value lines', async () => {
    const file = join(dir, 'github-output')
    await writeCiOutputs(
      file,
      { id: '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e', number: 7, urls: ['https://a.example'] },
      new Redactor(),
      [{ version_id: '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e', percentage: 100 }],
    )
    expect(await readFile(file, 'utf8')).toBe(
      'version-id=182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e\nversion-number=7\npreview-url=https://a.example\ntraffic=182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e:100\n',
    )
  })

  it('a secret is redacted before the value is written, also when it spans lines', async () => {
    const file = join(dir, 'github-output')
    const secret = 'line-one\nline-two-secret'
    await writeCiOutputs(file, { id: `v\n${secret}`, number: 1 }, new Redactor([secret]))
    const text = await readFile(file, 'utf8')
    expect(text).not.toContain('line-two-secret')
    expect(parseOutputs(text, LF)).toEqual([
      ['version-id', 'v\n[redacted]'],
      ['version-number', '1'],
    ])
  })

  it('the delimiter is fresh for every value and never occurs in it', () => {
    const delimiters = new Set<string>()
    for (let i = 0; i < 50; i++) {
      const entry = outputEntry('x', 'a\nb')
      const delimiter = entry.split('\n')[0]!.slice('x<<'.length)
      expect(entry).toBe(`x<<${delimiter}\na\nb\n${delimiter}\n`)
      delimiters.add(delimiter)
    }
    expect(delimiters.size).toBe(50)
  })
})

describe('writePreviewCiOutputs', () => {
  it('writes the Preview outputs, a value with a line break as one multi-line output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'preview-outputs-'))
    try {
      const file = join(dir, 'output')
      await writePreviewCiOutputs(
        file,
        {
          name: 'feature/x\nversion-id=evil',
          previewId: 'p',
          deploymentId: 'd',
          previewUrl: 'https://p.example',
          deploymentUrl: 'https://d.example',
        },
        new Redactor(),
      )
      const outputs = parseOutputs(await readFile(file, 'utf8'), /\n/)
      expect(outputs).toEqual([
        ['preview-name', 'feature/x\nversion-id=evil'],
        ['preview-id', 'p'],
        ['preview-deployment-id', 'd'],
        ['preview-url', 'https://p.example'],
        ['preview-deployment-url', 'https://d.example'],
        ['deployment-url', 'https://d.example'],
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('a secret whose value is a public host name', () => {
  it('leaves the preview URL whole: `localhost` in the host is not replaced, in other text it is', async () => {
    const file = join(dir, 'output')
    await writeFile(file, '')
    const redactor = new Redactor(['localhost'])
    const url = 'http://0e7ad3c5-w.localhost:8787/'
    await writeCiOutputs(
      file,
      { id: '0e7ad3c5-93e8-4ad7-8a2b-6d4e2a1f9c10', number: 1, urls: [url] },
      redactor,
    )
    expect(parseOutputs(await readFile(file, 'utf8'), LF)).toContainEqual(['preview-url', url])
    expect(redactor.redact('DB_HOST is localhost')).toBe('DB_HOST is [redacted]')
  })
})
