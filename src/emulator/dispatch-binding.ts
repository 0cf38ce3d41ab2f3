/**
 * The dispatcher's binding, as the Create Version and script upload bodies carry it:
 * `{type: "dispatch_namespace", name, namespace, outbound?: {worker: {service, environment?}, params?: [{name}]}}`.
 * Checked field by field, each problem a 10021 at its pointer.
 */
import { apiError, Code, pointer, type ApiError } from './envelope.js'

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const JS_IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

export interface DispatchBinding {
  type: 'dispatch_namespace'
  name: string
  namespace: string
  outbound?: { worker: { service: string; environment?: string }; params?: { name: string }[] }
}

export function dispatchBindingProblems(binding: Record<string, unknown>, i: number): ApiError[] {
  const at = (...path: (string | number)[]) => pointer('bindings', i, ...path)
  const err = (message: string, ...path: (string | number)[]) =>
    apiError(Code.validation, message, at(...path))
  const errors: ApiError[] = []
  if (typeof binding.namespace !== 'string' || binding.namespace === '')
    errors.push(
      err(
        `Binding '${String(binding.name)}' of type dispatch_namespace requires 'namespace'`,
        'namespace',
      ),
    )
  const outbound = binding.outbound
  if (outbound === undefined) return errors
  if (!isObject(outbound)) return [...errors, err('outbound must be an object', 'outbound')]
  const worker = outbound.worker
  if (!isObject(worker) || typeof worker.service !== 'string' || worker.service === '')
    errors.push(err('outbound.worker.service must name a Worker', 'outbound', 'worker', 'service'))
  else if (worker.environment !== undefined && typeof worker.environment !== 'string')
    errors.push(
      err('outbound.worker.environment must be a string', 'outbound', 'worker', 'environment'),
    )
  const params = outbound.params
  if (params !== undefined) {
    if (!Array.isArray(params))
      errors.push(err('outbound.params must be an array of {name}', 'outbound', 'params'))
    else
      params.forEach((param: unknown, j) => {
        if (!isObject(param) || typeof param.name !== 'string' || !JS_IDENTIFIER.test(param.name))
          errors.push(
            err(
              'Each outbound parameter needs a name that is a JavaScript identifier',
              'outbound',
              'params',
              j,
              'name',
            ),
          )
      })
  }
  return errors
}
