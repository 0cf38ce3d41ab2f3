import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const MODULES = 300
export const APP_BYTES = 5e6

/** 300 modules of about 17 KB each, every one imported by the entry, so all of them are bundled. */
export async function generateApp(dir) {
  await mkdir(dir, { recursive: true })
  const per = Math.round(APP_BYTES / MODULES)
  const imports = []
  for (let i = 0; i < MODULES; i++) {
    const lines = [`export function handler${i}(request) {`, `  const table = [`]
    let size = 0
    for (let j = 0; size < per - 200; j++) {
      const line = `    { id: ${i * 1000 + j}, name: 'route-${i}-${j}', weight: ${(i * 31 + j * 17) % 997} },`
      lines.push(line)
      size += line.length + 1
    }
    lines.push(
      '  ]',
      `  return table.find((row) => request.url.endsWith(row.name)) ?? table[0]`,
      '}',
    )
    await writeFile(join(dir, `m${i}.js`), `${lines.join('\n')}\n`)
    imports.push(`import { handler${i} } from './m${i}.js'`)
  }
  const handlers = Array.from({ length: MODULES }, (_, i) => `handler${i}`).join(', ')
  await writeFile(
    join(dir, 'index.js'),
    `${imports.join('\n')}\nconst handlers = [${handlers}]\nexport default {\n  fetch(request) {\n    const n = request.url.length % handlers.length\n    return Response.json(handlers[n](request))\n  },\n}\n`,
  )
}
