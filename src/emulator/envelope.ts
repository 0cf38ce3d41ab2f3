/** Cloudflare v4 API envelopes, the error codes the emulator uses, and JSON pointers. */

export interface ApiError {
  code: number
  message: string
  documentation_url?: string
  source?: { pointer: string }
}

export interface ApiReply {
  status: number
  body: unknown
  headers?: Record<string, string>
}

/** Codes taken from what the real API answers in the same situations. */
export const Code = {
  noRoute: 7000,
  badAccount: 7003,
  auth: 10000,
  /** Authenticated, but not allowed to read this (a token without access to memberships). */
  authz: 9106,
  workerNotFound: 10007,
  versionNotFound: 10007,
  validation: 10021,
  tooLarge: 10027,
  /** The API's generic internal error; the emulator uses it for its own failures (workerd, miniflare). */
  emulatorFailure: 10002,
} as const

export function ok(result: unknown, status = 200, extra: Record<string, unknown> = {}): ApiReply {
  return { status, body: { success: true, errors: [], messages: [], result, ...extra } }
}

/**
 * One page of a list as the API answers it: that page's items, and a `result_info` counting them
 * (with `total_pages` where that list gives it).
 */
export function okPage<T>(
  all: readonly T[],
  page: number,
  perPage: number,
  render: (item: T) => unknown,
  { totalPages = true }: { totalPages?: boolean } = {},
): ApiReply {
  const slice = all.slice((page - 1) * perPage, page * perPage)
  return ok(slice.map(render), 200, {
    result_info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: all.length,
      ...(totalPages && { total_pages: Math.ceil(all.length / perPage) }),
    },
  })
}

export function fail(status: number, errors: ApiError[]): ApiReply {
  return { status, body: { success: false, errors, messages: [], result: null } }
}

export function failOne(status: number, code: number, message: string, pointer?: string): ApiReply {
  return fail(status, [apiError(code, message, pointer)])
}

export function apiError(code: number, message: string, pointer?: string): ApiError {
  return pointer === undefined ? { code, message } : { code, message, source: { pointer } }
}

/** RFC 6901: `~` and `/` inside a segment are escaped. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replaceAll('~', '~0').replaceAll('/', '~1')).join('')
}

/** A 400 the API gives a body it refuses, pointing at the field at fault (`''`: the whole body). */
export function invalid(message: string, at: string): ApiReply {
  return failOne(400, Code.validation, message, at)
}

/** A JSON object body (not an array, not null), as the handlers that take fields check first. */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
