/**
 * Reads a Worker's invocations per version from Cloudflare's GraphQL Analytics API, for a gated
 * rollout: `POST <API root>/graphql` with the `workersInvocationsAdaptive` dataset, filtered by
 * script name and time window, summed (`requests`, `errors`, `subrequests`) and grouped by the
 * `scriptVersion` dimension. The answer is GraphQL's `{ data, errors }`, not the v4 envelope.
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { json, requireAccount, withApi, type ApiCallContext } from './request.js'
import { NetworkFailure } from './transport.js'

/**
 * The query sent; the emulator answers exactly this text (whitespace aside) and refuses any other.
 * Variables: `accountTag`, `scriptName`, `datetimeStart`, `datetimeEnd` (RFC 3339).
 */
const INVOCATIONS_QUERY = `query WorkerVersionInvocations($accountTag: string!, $scriptName: string!, $datetimeStart: Time!, $datetimeEnd: Time!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      workersInvocationsAdaptive(limit: 100, filter: { scriptName: $scriptName, datetime_geq: $datetimeStart, datetime_leq: $datetimeEnd }) {
        sum { requests errors subrequests }
        dimensions { scriptVersion }
      }
    }
  }
}`

export interface VersionInvocations {
  requests: number
  errors: number
  subrequests: number
}

/** How often a failed read (no answer, 429, 5xx) is sent again before the rollout gives up. */
const READ_ATTEMPTS = 3

/** Each version's invocations in the window, summed; a version without a row served none. */
export async function readInvocations(
  ctx: ApiCallContext,
  script: string,
  window: { start: Date; end: Date },
): Promise<Map<string, VersionInvocations>> {
  requireAccount(ctx, 'Reading the Worker analytics')
  const body = json({
    query: INVOCATIONS_QUERY,
    variables: {
      accountTag: ctx.accountId,
      scriptName: script,
      datetimeStart: window.start.toISOString(),
      datetimeEnd: window.end.toISOString(),
    },
  })
  const what = `GraphQL Analytics API (workersInvocationsAdaptive for Worker ${JSON.stringify(script)})`
  return withApi(ctx, async (session) => {
    let last = ''
    for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
      let response
      try {
        response = await session.transport.send({ method: 'POST', path: '/graphql', body })
      } catch (error) {
        if (!(error instanceof NetworkFailure) || error.fatal) throw error
        last = error.message
        continue
      }
      if (response.status === 429 || response.status >= 500) {
        last = `HTTP ${response.status}`
        continue
      }
      return parseAnswer(response.status, response.text, what, session.redact)
    }
    throw new WorkersVersionError(
      'API_ERROR',
      `${what} failed ${READ_ATTEMPTS} times; the last: ${last}.`,
    )
  })
}

function parseAnswer(
  status: number,
  text: string,
  what: string,
  redact: (text: string) => string,
): Map<string, VersionInvocations> {
  let answer: unknown
  try {
    answer = JSON.parse(text)
  } catch {
    throw new WorkersVersionError(
      'API_INVALID_RESPONSE',
      `${what} answered HTTP ${status} without JSON.`,
    )
  }
  const errors = isRecord(answer) && Array.isArray(answer.errors) ? answer.errors : []
  if (status !== 200 || errors.length > 0) {
    const messages = errors
      .map((e: unknown) => (isRecord(e) && typeof e.message === 'string' ? e.message : undefined))
      .filter((m): m is string => m !== undefined)
    throw new WorkersVersionError(
      'API_ERROR',
      `${what} refused the query (HTTP ${status}): ${redact(messages.join('; ') || 'no message')}. The token needs the Account Analytics Read permission.`,
    )
  }
  const accounts =
    isRecord(answer) && isRecord(answer.data) && isRecord(answer.data.viewer)
      ? answer.data.viewer.accounts
      : undefined
  const account = Array.isArray(accounts) ? (accounts[0] as unknown) : undefined
  const rows = isRecord(account) ? account.workersInvocationsAdaptive : undefined
  if (!Array.isArray(rows))
    throw new WorkersVersionError(
      'API_INVALID_RESPONSE',
      `${what} answered without data.viewer.accounts[0].workersInvocationsAdaptive.`,
    )
  const byVersion = new Map<string, VersionInvocations>()
  for (const row of rows) {
    const version =
      isRecord(row) && isRecord(row.dimensions) ? row.dimensions.scriptVersion : undefined
    const sum = isRecord(row) && isRecord(row.sum) ? row.sum : undefined
    if (typeof version !== 'string' || !sum || !counts(sum))
      throw new WorkersVersionError(
        'API_INVALID_RESPONSE',
        `${what} answered a row without a version and whole sums of requests and errors.`,
      )
    const seen = byVersion.get(version) ?? { requests: 0, errors: 0, subrequests: 0 }
    byVersion.set(version, {
      requests: seen.requests + (sum.requests as number),
      errors: seen.errors + (sum.errors as number),
      subrequests: seen.subrequests + ((sum.subrequests as number | undefined) ?? 0),
    })
  }
  return byVersion
}

function counts(sum: Record<string, unknown>): boolean {
  const whole = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0
  return (
    whole(sum.requests) &&
    whole(sum.errors) &&
    (sum.subrequests === undefined || whole(sum.subrequests))
  )
}
