import { COMMONJS, ES_MODULE, SOURCE_MAP } from '../modules/content-types.js'
import type { ManifestModuleType } from './types.js'

// A manifest's module types and the Create Version content types, both ways. `json` has no
// content type the Versions API documents, so it is refused rather than guessed.

const CONTENT_TYPES: Record<Exclude<ManifestModuleType, 'json'>, string> = {
  esm: ES_MODULE,
  cjs: COMMONJS,
  python: 'text/x-python',
  'python-requirement': 'text/x-python-requirement',
  wasm: 'application/wasm',
  text: 'text/plain',
  data: 'application/octet-stream',
  sourcemap: SOURCE_MAP,
}

export function contentTypeOfManifestType(type: ManifestModuleType): string | undefined {
  return type === 'json' ? undefined : CONTENT_TYPES[type]
}

export function manifestTypeOfContentType(contentType: string): ManifestModuleType | undefined {
  const found = Object.entries(CONTENT_TYPES).find(([, value]) => value === contentType)
  return found?.[0] as ManifestModuleType | undefined
}
