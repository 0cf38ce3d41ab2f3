#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark whose figures the README shows, one after the other, each in a
 * process of its own: run.mjs (builds, imports, bodies, assets on localhost), network.mjs (deploys
 * through a modelled network), dry-run.mjs (the dry run's fixed cost and its share of a
 * realistic app) and profile.mjs (where a plain build's CPU time goes). `--quick` and `--rounds N`
 * are passed to each.
 */
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
for (const script of ['run.mjs', 'network.mjs', 'dry-run.mjs', 'profile.mjs']) {
  const code = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, script), ...process.argv.slice(2)], {
      stdio: 'inherit',
    })
    child.on('error', reject)
    child.on('exit', resolve)
  })
  if (code !== 0) {
    process.exitCode = code ?? 1
    break
  }
}
