/**
 * `wrangler preview` (4.164) and the plugin, on the same project, config and branch, against the
 * emulator: the Preview deployment bodies are the same apart from the documented differences
 * (README "Previews"): wrangler sends a multipart form, the plugin JSON with base64 modules; each
 * bundles with its own bundler; the plugin adds `workers/tag` from the commit SHA.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'
import { runWrangler } from '../helpers/wrangler.js'

const emulator = useEmulator({ preview: false })
const HEAD = '89abcdef0123456789abcdef0123456789abcdef'

const CONFIG = (name: string) => ({
  name,
  main: 'src/index.js',
  compatibility_date: '2025-01-01',
  compatibility_flags: ['nodejs_compat'],
  vars: { STAGE: 'production' },
  kv_namespaces: [{ binding: 'CACHE', id: 'a'.repeat(32) }],
  previews: {
    vars: { STAGE: 'preview', LIMIT: 3 },
    kv_namespaces: [{ binding: 'CACHE', id: 'b'.repeat(32) }],
  },
})

async function project(name: string): Promise<string> {
  // Outside any git work tree: wrangler (CI=true) would take a tag and message from the repository's git.
  const root = await mkdtemp(join(tmpdir(), 'wrangler-preview-'))
  await mkdir(join(root, 'src'), { recursive: true })
  await writeFile(
    join(root, 'src/index.js'),
    'export default { fetch: (request, env) => new Response(env.STAGE) }\n',
  )
  await writeFile(join(root, 'wrangler.json'), JSON.stringify(CONFIG(name)))
  return root
}

/** The body as the emulator stored it, with each module reduced to its name and content type. */
function shape(request: Record<string, unknown>): Record<string, unknown> {
  const { modules, ...rest } = request as {
    modules: Array<{ name: string; content_type: string }>
  } & Record<string, unknown>
  return { ...rest, modules: modules.map((m) => [m.name, m.content_type]) }
}

describe('wrangler preview and the plugin', () => {
  it('send the same Preview deployment body for the same config and branch', async () => {
    // A push of the branch (wrangler reads GITHUB_HEAD_REF, else GITHUB_REF_NAME).
    const ci = {
      GITHUB_REF_NAME: 'feature/same',
      GITHUB_SHA: HEAD,
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_SERVER_URL: 'https://github.com',
    }
    const wranglerRoot = await project('same-wrangler')
    await runWrangler(emulator(), ['preview'], wranglerRoot, ci)

    const pluginRoot = await project('same-plugin')
    for (const [name, value] of Object.entries(ci)) vi.stubEnv(name, value)
    for (const name of [
      'GITHUB_EVENT_PATH',
      'GITHUB_EVENT_NAME',
      'GITHUB_HEAD_REF',
      'GITHUB_REF',
      'GITHUB_REF_TYPE',
      'GITHUB_OUTPUT',
      'GITHUB_STEP_SUMMARY',
      'WORKERS_CI_BRANCH',
      'WORKERS_CI_COMMIT_SHA',
    ])
      vi.stubEnv(name, '')
    try {
      const { version: _v, ...options } = uploadOptions(emulator(), 'same-plugin', {
        root: pluginRoot,
        preview: true,
        createWorker: true,
      })
      const bundle = await rollup({
        input: join(pluginRoot, 'src/index.js'),
        logLevel: 'silent',
        plugins: [rollupPlugin(options as never)],
      })
      // wrangler uploads the bundle's source map: the build makes one too.
      await bundle.write({ dir: join(pluginRoot, 'dist'), format: 'es', sourcemap: true })
      await bundle.close()
    } finally {
      vi.unstubAllEnvs()
    }

    const [wranglerPreview] = emulator().previews('same-wrangler')
    const [pluginPreview] = emulator().previews('same-plugin')
    expect([wranglerPreview?.name, pluginPreview?.name]).toEqual(['feature/same', 'feature/same'])
    const wranglerBody = shape(emulator().previewDeployments(wranglerPreview!.id)[0]!.request)
    const pluginBody = shape(emulator().previewDeployments(pluginPreview!.id)[0]!.request)

    // Documented difference: the plugin also tags the deployment with the short SHA (wrangler asks git, and there is none here).
    const { 'workers/tag': tag, ...pluginAnnotations } = pluginBody.annotations as Record<
      string,
      string
    >
    expect(tag).toBe(HEAD.slice(0, 7))
    expect({ ...pluginBody, annotations: pluginAnnotations }).toEqual(wranglerBody)
    expect(wranglerBody).toMatchObject({
      main_module: 'index.js',
      modules: [
        ['index.js', 'application/javascript+module'],
        ['index.js.map', 'application/source-map'],
      ],
      env: {
        STAGE: { type: 'plain_text', text: 'preview' },
        LIMIT: { type: 'json', json: 3 },
        CACHE: { type: 'kv_namespace', namespace_id: 'b'.repeat(32) },
      },
      annotations: {
        'workers/commit_sha': HEAD,
        'workers/repository_url': 'https://github.com/acme/app',
      },
    })
  })
})
