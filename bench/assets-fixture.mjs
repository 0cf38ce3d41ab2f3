/**
 * The static assets fixture shared by bench/run.mjs (row 5) and bench/assets.mjs: a directory of small
 * files, 90% of which the emulator is made to hold before every run, so every run uploads the same 10%.
 *
 * The hashes are computed here with wrangler's algorithm (hash-wasm blake3 over the file's base64
 * plus its extension, first 32 hex characters) rather than with our own manifest code, so seeding does
 * not depend on the code under test. If either client hashed differently, the emulator would ask it
 * for more than the 10%, and `filesSent` would show it.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, extname, join } from 'node:path'
import { createBLAKE3 } from 'hash-wasm'

const KINDS = ['js', 'css', 'html', 'json', 'svg', 'txt']

/**
 * Writes `count` small text files (300–1,800 bytes, distinct; js, css, html, json, svg, txt in 100
 * folders) under `dir`. Returns the files the emulator will hold (every file but each tenth) with their
 * bytes, kept in memory so seeding before each run reads nothing from disk.
 */
export async function makeSite(dir, count) {
  const hasher = await createBLAKE3()
  const held = []
  for (let i = 0; i < count; i++) {
    const path = join(dir, `section-${i % 100}`, `file-${i}.${KINDS[i % KINDS.length]}`)
    if (i < 100) await mkdir(dirname(path), { recursive: true })
    const bytes = Buffer.from(
      `/* ${i} */ ${'lorem ipsum dolor sit amet '.repeat(10 + (i % 60))}${i}\n`,
    )
    await writeFile(path, bytes)
    if (i % 10 === 0) continue
    hasher.init()
    hasher.update(bytes.toString('base64'))
    hasher.update(extname(path).slice(1))
    held.push({ hash: hasher.digest('hex').slice(0, 32), bytes })
  }
  return { dir, count, held, toUpload: count - held.length }
}

/** Resets the emulator's account to holding exactly the site's 90%, whatever earlier runs uploaded. */
export function seed(emulator, site) {
  emulator.assets.forget()
  emulator.assets.hold(site.held)
}

/** A mark in the emulator's record of assets sessions and bucket uploads, for `assetsSince`. */
export function assetsMark(emulator) {
  return { sessions: emulator.assets.sessions.length, uploads: emulator.assets.uploads.length }
}

/** Upload sessions opened and files accepted by the emulator since `mark`. */
export function assetsSince(emulator, mark) {
  const uploads = emulator.assets.uploads.slice(mark.uploads).filter((u) => u.status < 300)
  return {
    sessions: emulator.assets.sessions.length - mark.sessions,
    files: uploads.flatMap((u) => u.hashes).length,
  }
}
