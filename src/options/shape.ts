import type { WorkersVersionOptions } from './index.js'
import { describe, Problems } from './issues.js'

type Check = (value: unknown) => string | undefined
const isString: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : `expected a non-empty string, got ${describe(v)}`)
const isBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : `expected true or false, got ${describe(v)}`)
const either = (...checks: Check[]): Check => (v) => (checks.some((c) => c(v) === undefined) ? undefined : checks.map((c) => c(v)).join(' or '))
const isFunction: Check = (v) => (typeof v === 'function' ? undefined : `expected a function, got ${describe(v)}`)
const isObject: Check = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : `expected an object, got ${describe(v)}`)
const isArray: Check = (v) => (Array.isArray(v) ? undefined : `expected an array, got ${describe(v)}`)

/** Every top-level option and the check of its shape; anything else is a typo worth reporting. */
const OPTION_CHECKS: Record<keyof WorkersVersionOptions, Check> = {
  worker: isString, accountId: isString, version: isObject, secrets: isObject, wrangler: either(isBoolean, isString),
  env: isString, types: either(isBoolean, isString), mainModule: isString, sourcemaps: isBoolean, rules: isArray,
  outputDir: isString, upload: isBoolean, uploadMode: isString, environment: isString, root: isString,
  promote: (v) => (v === true || v === false || (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 100) ? undefined : `expected true, false or a whole percentage from 1 to 100, got ${describe(v)}`),
  preflight: isBoolean, createWorker: isBoolean, gitAnnotations: isBoolean,
  apiToken: isString, apiKey: isString, email: isString, apiBaseUrl: isString, onVersion: isFunction, network: isObject,
  logLevel: (v) => (v === 'info' || v === 'warn' || v === 'silent' ? undefined : `expected 'info', 'warn' or 'silent', got ${describe(v)}`),
}

export function checkShape(options: Record<string, unknown>, problems: Problems): void {
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue
    const check = Object.hasOwn(OPTION_CHECKS, key) ? OPTION_CHECKS[key as keyof WorkersVersionOptions] : undefined
    if (!check) {
      problems.error([key], `is not an option of workersVersion() (known: ${Object.keys(OPTION_CHECKS).join(', ')})`)
      continue
    }
    const message = check(value)
    if (message) problems.error([key], message)
  }
  if (Array.isArray(options.rules)) {
    options.rules.forEach((rule: unknown, i) => {
      if (isObject(rule) !== undefined) return problems.error(['rules', i], 'expected { test, type }')
      const { test, type } = rule as Record<string, unknown>
      const tests = Array.isArray(test) ? test : [test]
      if (tests.length === 0 || tests.some((t) => typeof t !== 'string' && !(t instanceof RegExp))) {
        problems.error(['rules', i, 'test'], 'expected a glob, a RegExp, or an array of them')
      }
      if (type !== false && isString(type) !== undefined) problems.error(['rules', i, 'type'], 'expected a content type string, or false to leave the files out')
    })
  }
  checkNetwork(options.network, problems)
  const secrets = options.secrets
  if (secrets && isObject(secrets) === undefined) {
    for (const [key, names] of Object.entries(secrets)) {
      if (key !== 'inherit' && key !== 'fromEnv') problems.error(['secrets', key], 'is not an option (use inherit or fromEnv)')
      else if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) problems.error(['secrets', key], 'expected an array of secret names')
    }
  }
}

const NETWORK_FIELDS: Record<string, readonly string[]> = {
  timeouts: ['connectMs', 'headersMs', 'bodyMs', 'deadlineMs'],
  retries: ['attempts', 'baseDelayMs', 'maxDelayMs'],
}

function checkNetwork(network: unknown, problems: Problems): void {
  if (network === undefined || isObject(network) !== undefined) return
  for (const [group, values] of Object.entries(network as Record<string, unknown>)) {
    const fields = Object.hasOwn(NETWORK_FIELDS, group) ? NETWORK_FIELDS[group]! : undefined
    if (!fields) problems.error(['network', group], 'is not an option (use timeouts or retries)')
    else if (isObject(values) !== undefined) problems.error(['network', group], isObject(values)!)
    else {
      for (const [field, value] of Object.entries(values as Record<string, unknown>)) {
        if (!fields.includes(field)) problems.error(['network', group, field], `is not an option (known: ${fields.join(', ')})`)
        else if (typeof value !== 'number' || !Number.isInteger(value) || value < (field === 'attempts' ? 1 : 0)) {
          problems.error(['network', group, field], `expected a ${field === 'attempts' ? 'positive' : 'non-negative'} whole number, got ${describe(value)}`)
        }
      }
    }
  }
}

