/**
 * The metadata of a user Worker's upload into a dispatch namespace: the script upload's (the
 * version body in its `script` variant, secrets kept with `keep_bindings`), plus the user Worker's
 * `tags`, which that endpoint takes in its metadata. The dry run's `request.json` and the upload
 * both come from here.
 */
import type { BuildPlan } from '../plan/index.js'
import type { VersionConfig } from '../options/version-schema.js'
import { versionBody, type BuiltModules, type RemoteState, type VersionBody } from './body.js'

export function namespaceBody(
  plan: BuildPlan,
  built: BuiltModules,
  inputs: { git?: Record<string, string>; remote?: RemoteState; warn?: (m: string) => void } = {},
): VersionBody {
  const body = versionBody(plan, built, { ...inputs, variant: 'script' })
  const tags = plan.dispatch?.tags
  if (tags === undefined) return body
  const config = { ...body.payload.config, tags } as VersionConfig
  return { ...body, payload: { ...body.payload, config } }
}
