/** wrangler's multipart uploads: a `metadata` part holding JSON, and file parts. */
import type { ApiRequest } from './api.js'

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** The form and its `metadata` object (or the JSON part named `part`), or the problem to answer with a 10021. */
export async function readMetadataForm(
  req: ApiRequest,
  part = 'metadata',
): Promise<{ form: FormData; metadata: Record<string, unknown> } | { problem: string }> {
  const contentType = req.headers['content-type'] ?? ''
  if (!/^multipart\/form-data\b/i.test(contentType) || req.raw === undefined) {
    return { problem: `Expected a multipart/form-data body with a ${part} part` }
  }
  let form: FormData
  try {
    form = await new Response(req.raw, { headers: { 'content-type': contentType } }).formData()
  } catch (error) {
    return {
      problem: `The multipart body could not be parsed: ${error instanceof Error ? error.message : String(error)}`,
    }
  }
  const metadataPart = form.get(part)
  let metadata: unknown
  try {
    metadata = JSON.parse(
      typeof metadataPart === 'string'
        ? metadataPart
        : metadataPart
          ? await metadataPart.text()
          : '',
    )
  } catch {
    return { problem: `The ${part} part must be JSON` }
  }
  if (!isObject(metadata)) return { problem: `The ${part} part must be a JSON object` }
  return { form, metadata }
}
