import * as v from 'valibot'
import { bindingSchemaFor } from './bindings.js'
import { isIdentifier, isJsonValue } from './fields.js'
import { describe, type Path, type Problems } from './issues.js'
import {
  HostPlacementSchema,
  HostnamePlacementSchema,
  MultiStepMigrationsSchema,
  RegionPlacementSchema,
  SingleStepMigrationSchema,
  SmartPlacementSchema,
  TargetedPlacementSchema,
} from './schema.js'
import { isRecord } from '../core/guards.js'
import { extraKeys } from './walk.js'

// Checks of the fields whose shape depends on their content (a binding's
// `type`, a placement's `mode`, migrations with or without `steps`): choosing
// the schema first gives messages about the right variant instead of a vague
// "does not match any of …".

/** Parses `value` with `schema`, recording issues and unknown keys under `at`. */
export function parseInto(problems: Problems, at: Path, schema: v.GenericSchema, value: unknown, kind?: string): boolean {
  const result = v.safeParse(schema, value, { abortPipeEarly: true })
  if (!result.success) problems.issues(at, result.issues, kind)
  const extras: Path[] = []
  extraKeys(schema, value, at, extras)
  for (const path of extras) {
    problems.warn(path, kind ? `unknown field for ${kind}; sent as is` : 'unknown field; sent as is')
  }
  return result.success
}

/** Checks every binding; names must be unique identifiers across all kinds. */
export function checkBindings(problems: Problems, bindings: unknown): void {
  const at = ['bindings']
  if (!Array.isArray(bindings)) {
    problems.error(at, `expected an array of bindings, got ${describe(bindings)}`)
    return
  }
  const seen = new Map<string, number>()
  bindings.forEach((binding, index) => {
    const here = [...at, index]
    if (!isRecord(binding)) {
      problems.error(here, `expected a binding object, got ${describe(binding)}`)
      return
    }
    const { type, name } = binding
    if (typeof type !== 'string') {
      problems.error([...here, 'type'], type === undefined ? 'required' : `expected a string, got ${describe(type)}`)
    } else {
      const schema = bindingSchemaFor(type)
      if (schema) {
        parseInto(problems, here, schema, binding, type)
      } else {
        checkUnknownBinding(problems, here, binding, type)
      }
    }
    if (typeof name === 'string') {
      const first = seen.get(name)
      if (first !== undefined) problems.error([...here, 'name'], `duplicate binding name ${describe(name)} (also bindings[${first}])`)
      else seen.set(name, index)
    }
  })
}

function checkUnknownBinding(problems: Problems, at: Path, binding: Record<string, unknown>, type: string): void {
  const { name } = binding
  if (typeof name !== 'string') problems.error([...at, 'name'], name === undefined ? 'required' : `expected a string, got ${describe(name)}`)
  else if (!isIdentifier(name)) problems.error([...at, 'name'], 'must be a valid JavaScript identifier')
  if (!isJsonValue(binding)) problems.error(at, 'must be JSON-serialisable')
  problems.warn([...at, 'type'], `unknown binding type ${describe(type)}; passed through unchanged`)
}

/** Single-step or multi-step (`steps`) migrations. */
export function checkMigrations(problems: Problems, migrations: unknown): void {
  const at = ['migrations']
  if (!isRecord(migrations)) {
    problems.error(at, `expected an object, got ${describe(migrations)}`)
    return
  }
  if (!Object.hasOwn(migrations, 'steps')) {
    parseInto(problems, at, SingleStepMigrationSchema, migrations)
    return
  }
  const { steps } = migrations
  if (Array.isArray(steps)) {
    steps.forEach((step, index) => {
      if (!isRecord(step)) return
      for (const tag of ['new_tag', 'old_tag']) {
        if (Object.hasOwn(step, tag)) problems.error([...at, 'steps', index, tag], 'tags belong on `migrations`, not on a step')
      }
    })
  }
  const result = v.safeParse(MultiStepMigrationsSchema, migrations, { abortPipeEarly: true })
  if (!result.success) problems.issues(at, result.issues)
  const extras: Path[] = []
  extraKeys(MultiStepMigrationsSchema, migrations, at, extras)
  for (const path of extras) {
    const key = path[path.length - 1]
    const isStepTag = path.length === 4 && (key === 'new_tag' || key === 'old_tag')
    if (!isStepTag) problems.warn(path, 'unknown field; sent as is')
  }
}

const TARGETS = ['region', 'hostname', 'host'] as const

/** `{mode:'smart'}`, `{mode:'targeted', …}` or exactly one of `{region}`, `{hostname}`, `{host}`. */
export function checkPlacement(problems: Problems, placement: unknown): void {
  const at = ['placement']
  if (!isRecord(placement)) {
    problems.error(at, `expected an object, got ${describe(placement)}`)
    return
  }
  if (Object.hasOwn(placement, 'mode')) {
    const { mode } = placement
    if (mode === 'smart') parseInto(problems, at, SmartPlacementSchema, placement)
    else if (mode === 'targeted') parseInto(problems, at, TargetedPlacementSchema, placement)
    else problems.error([...at, 'mode'], `expected "smart" or "targeted", got ${describe(mode)}`)
    return
  }
  const present = TARGETS.filter((key) => Object.hasOwn(placement, key))
  if (present.length === 0) {
    problems.error(at, 'needs mode "smart", or one of region, hostname and host')
  } else if (present.length > 1) {
    problems.error(at, `set only one of region, hostname and host (got ${present.join(', ')}), or use mode "targeted"`)
  } else {
    const schema = { region: RegionPlacementSchema, hostname: HostnamePlacementSchema, host: HostPlacementSchema }[present[0]!]
    parseInto(problems, at, schema, placement)
  }
}
