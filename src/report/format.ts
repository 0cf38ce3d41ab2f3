import { groupDigits } from '../core/plural.js'

/** Sizes as Vite prints them: decimal units, 1 kB = 1000 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1000 * 1000) return `${(bytes / 1000).toFixed(2)} kB`
  return `${(bytes / 1000 / 1000).toFixed(2)} MB`
}

/** Sizes measured against binary limits (25 MiB per asset): `26.0 MiB`. */
export function formatBinaryBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

/** `4,000`. */
export function formatCount(n: number): string {
  return groupDigits(n)
}

/** `2.1 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}
