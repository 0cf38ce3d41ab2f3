import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/**
 * Writes a file so that readers see the old or the new content, never half of it: the
 * content goes to a fresh temporary file beside it, which is then renamed over the target.
 * The temporary file has a random name and is created exclusively (`wx`), so an existing
 * file or symlink at that name is never written through.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
  const dir = dirname(file)
  await mkdir(dir, { recursive: true })
  const partial = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.partial`)
  try {
    const source = typeof content === 'string' || content instanceof Uint8Array ? [content] : content
    await pipeline(Readable.from(source), createWriteStream(partial, { flags: 'wx' }))
    await rename(partial, file)
  } catch (error) {
    await rm(partial, { force: true })
    throw error
  }
}
