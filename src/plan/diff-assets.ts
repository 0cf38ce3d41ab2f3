/**
 * Static assets in the diff, without I/O. The API gives no asset manifest of a deployed version,
 * so files removed cannot be listed, nor which files were added or changed. What can be known is
 * the assets upload session's answer: the files whose contents Cloudflare does not hold yet. The
 * deployed version's files are held (they are served), so such a file is added or changed; a
 * file whose contents Cloudflare holds may still be new at its path, so "none" proves nothing.
 */
import { plural } from '../core/plural.js'
import type { Change } from './diff-change.js'

/** What the diff knows of the assets upload. */
export type AssetsSide =
  /**
   * The upload session answered before the diff was shown: it asked for `toUpload` contents (one
   * per distinct hash, so files sharing new contents count once: hence "at least").
   */
  | { known: true; toUpload: number }
  /** Not known when the diff was shown: `why` says why (it comes before the upload session, or there is none). */
  | { known: false; why: string }

const NO_MANIFEST =
  'the API gives no asset manifest of a deployed version, so files removed are not listed'

export function assetsComparison(
  files: number,
  side: AssetsSide | undefined,
): { changes: Change[]; notCompared: string } {
  const all = plural(files, 'file')
  if (!side?.known)
    return {
      changes: [],
      notCompared: `assets (${all}): ${side ? `${side.why}; ` : ''}${NO_MANIFEST}, nor which files are added or changed`,
    }
  if (side.toUpload === 0)
    return {
      changes: [],
      notCompared: `assets (${all}): Cloudflare already holds the contents of every file; ${NO_MANIFEST}, nor files added or changed with contents it already held`,
    }
  return {
    changes: [
      {
        kind: 'assets',
        op: 'change',
        subject: 'assets',
        line: `~ assets: at least ${side.toUpload} of ${all} added or changed (contents new to Cloudflare)`,
      },
    ],
    notCompared: `assets: ${NO_MANIFEST}, nor files added or changed with contents Cloudflare already held`,
  }
}
