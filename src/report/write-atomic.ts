import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Bytes gathered before one `writev`: few system calls, and a bounded amount held at once. */
const BATCH_BYTES = 4 * 1024 * 1024
/** Buffers per `writev` (below the usual IOV_MAX of 1024). */
const BATCH_BUFFERS = 512

/**
 * Writes a file so that readers see the old or the new content, never half of it: the
 * content goes to a fresh temporary file beside it, which is then renamed over the target.
 * The temporary file has a random name and is created exclusively (`wx`), so an existing
 * file or symlink at that name is never written through. Chunks are gathered into batches
 * written with one `writev` each: a body of many small slices then costs a few system calls,
 * where a stream made a thread-pool round trip per slice (about 6 ms for a small Worker).
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void> {
  const dir = dirname(file)
  await mkdir(dir, { recursive: true })
  // Unique enough that concurrent writers never meet; safety comes from `wx`, not from the name
  // (a file planted at it fails the write, never redirects it), so no crypto module is loaded for it.
  const partial = join(dir, `.${basename(file)}.${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}.partial`)
  try {
    const handle = await open(partial, 'wx')
    try {
      if (typeof content === 'string' || content instanceof Uint8Array) await handle.writeFile(content)
      else await writeBatched(handle, content)
    } finally {
      await handle.close()
    }
    await rename(partial, file)
  } catch (error) {
    await rm(partial, { force: true })
    throw error
  }
}

/** Strings are written as UTF-8. */
async function writeBatched(handle: FileHandle, chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void> {
  let batch: Uint8Array[] = []
  let bytes = 0
  for await (const piece of chunks) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece
    batch.push(chunk)
    bytes += chunk.byteLength
    if (bytes >= BATCH_BYTES || batch.length >= BATCH_BUFFERS) {
      await writeAll(handle, batch, bytes)
      batch = []
      bytes = 0
    }
  }
  if (batch.length > 0) await writeAll(handle, batch, bytes)
}

/** `writev` may write less than asked (a signal, a full disk): the rest is written until done or an error. */
async function writeAll(handle: FileHandle, batch: Uint8Array[], bytes: number): Promise<void> {
  const { bytesWritten } = await handle.writev(batch)
  if (bytesWritten === bytes) return
  const rest = Buffer.concat(batch).subarray(bytesWritten)
  for (let offset = 0; offset < rest.byteLength; ) offset += (await handle.write(rest, offset)).bytesWritten
}
