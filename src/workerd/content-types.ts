/** Module content types the Versions API accepts, and what Miniflare calls the module kind. */

export type MiniflareModuleType =
  'ESModule' | 'CommonJS' | 'Text' | 'Data' | 'CompiledWasm' | 'PythonModule' | 'PythonRequirement'

/** `null`: accepted by the API but not a runtime module (source maps). */
export const MODULE_KINDS: Readonly<Record<string, MiniflareModuleType | null>> = {
  'application/javascript+module': 'ESModule',
  'text/javascript+module': 'ESModule',
  'application/javascript': 'CommonJS',
  'text/javascript': 'CommonJS',
  'text/plain': 'Text',
  'application/octet-stream': 'Data',
  'application/wasm': 'CompiledWasm',
  'text/x-python': 'PythonModule',
  'text/x-python-requirement': 'PythonRequirement',
  'application/source-map': null,
}

export function isKnownContentType(contentType: string): boolean {
  return Object.hasOwn(MODULE_KINDS, contentType)
}

export function isEsModuleType(contentType: string): boolean {
  return MODULE_KINDS[contentType] === 'ESModule'
}
