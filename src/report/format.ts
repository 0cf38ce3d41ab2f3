/** Sizes as Vite prints them: decimal units, 1 kB = 1000 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1000 * 1000) return `${(bytes / 1000).toFixed(2)} kB`
  return `${(bytes / 1000 / 1000).toFixed(2)} MB`
}

