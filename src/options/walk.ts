import { isRecord } from '../core/guards.js'
import type * as v from 'valibot'
import type { Path } from './issues.js'

type AnySchema = v.GenericSchema | v.SchemaWithPipe<readonly [v.GenericSchema, ...v.GenericPipeItem[]]>


function unwrap(schema: AnySchema): v.GenericSchema {
  let current: any = schema
  // pipe → first item; optional → wrapped schema
  for (let i = 0; i < 8; i++) {
    if (Array.isArray(current.pipe)) current = current.pipe[0]
    else if (current.type === 'optional' && current.wrapped) current = current.wrapped
    else break
  }
  return current as v.GenericSchema
}

/**
 * Keys present in `value` that `schema` does not define, at any depth the schema
 * describes (objects and arrays; unions are resolved by the caller). valibot's
 * objects drop such keys silently; we report them so typos do not go unnoticed.
 */
export function extraKeys(schema: AnySchema, value: unknown, path: Path, out: Path[]): void {
  const s: any = unwrap(schema)
  if (s.type === 'object' && isRecord(value)) {
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(s.entries, key)) out.push([...path, key])
      else extraKeys(s.entries[key], value[key], [...path, key], out)
    }
  } else if (s.type === 'array' && Array.isArray(value)) {
    value.forEach((item, index) => extraKeys(s.item, item, [...path, index], out))
  }
}
