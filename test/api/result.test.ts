import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { formatVersionResult } from '../../src/api/result.js'
import { Redactor } from '../../src/core/redact.js'
import { writeCiOutputs } from '../../src/report/ci-outputs.js'

const result = {
  id: '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e',
  number: 7,
  urls: ['https://182bd5e5-my-worker.sub.workers.dev', 'https://alias.example'],
  startup_time_ms: 12,
}

describe('formatVersionResult', () => {
  it('lists id, number, preview URLs, startup time and elapsed time', () => {
    expect(formatVersionResult(result, 2345)).toEqual([
      'version id: 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e',
      'version number: 7',
      'preview URLs:',
      '  https://182bd5e5-my-worker.sub.workers.dev',
      '  https://alias.example',
      'startup time: 12 ms',
      'elapsed: 2.3s',
    ])
  })
  it('leaves out what the result does not have', () => {
    expect(formatVersionResult({ id: 'x', number: 1, urls: ['https://a'] }, 34.6)).toEqual([
      'version id: x',
      'version number: 1',
      'preview URL: https://a',
      'elapsed: 35 ms',
    ])
  })
})

describe('writeCiOutputs', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })
  it('appends version-id, version-number and the first preview URL', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-output-'))
    const file = join(dir, 'output')
    await writeFile(file, 'earlier=1\n')
    await writeCiOutputs(file, result, new Redactor())
    expect(await readFile(file, 'utf8')).toBe(
      'earlier=1\nversion-id=182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e\nversion-number=7\npreview-url=https://182bd5e5-my-worker.sub.workers.dev\n',
    )
  })
})
