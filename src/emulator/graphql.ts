/**
 * `POST /client/v4/graphql`: the GraphQL Analytics API, for the one query a gated rollout sends
 * (Workers invocations per version, `workersInvocationsAdaptive`), answered from what the emulator
 * served (invocations.ts). Any other query is refused with GraphQL errors rather than answered
 * wrongly: the emulator has no GraphQL engine, and an answer it cannot compute must not look real.
 * Authentication is the API token's, like every route.
 */
import type { ApiContext, ApiRequest, Route } from './api.js'
import type { ApiReply } from './envelope.js'

/** The query the plugin sends (src/api/analytics.ts), compared once whitespace is normalised. */
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

export const GRAPHQL_ROUTES: Route[] = [
  { method: 'POST', pattern: /^\/graphql\/?$/, handler: graphql, unscoped: true },
]

/** RFC 3339 with a zone, as the API's `Time` scalar takes it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

function graphql(ctx: ApiContext, req: ApiRequest): ApiReply {
  const body = req.body
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return refused('the request body must be a JSON object { query, variables }')
  const { query, variables } = body as Record<string, unknown>
  if (typeof query !== 'string' || normalise(query) !== normalise(INVOCATIONS_QUERY))
    return refused(
      'the emulator answers only the Workers invocations query a gated rollout sends (workersInvocationsAdaptive by scriptVersion)',
    )
  if (typeof variables !== 'object' || variables === null) return refused('variables are missing')
  const { accountTag, scriptName, datetimeStart, datetimeEnd } = variables as Record<
    string,
    unknown
  >
  for (const [name, value] of Object.entries({
    accountTag,
    scriptName,
    datetimeStart,
    datetimeEnd,
  }))
    if (typeof value !== 'string' || value === '')
      return refused(`variable $${name} must be a non-empty string`)
  if (!RFC3339.test(datetimeStart as string) || !RFC3339.test(datetimeEnd as string))
    return refused('$datetimeStart and $datetimeEnd must be RFC 3339 times')
  if (accountTag !== ctx.accountId) return refused('not authorized for that account')
  const start = Date.parse(datetimeStart as string)
  const end = Date.parse(datetimeEnd as string)
  if (!(start <= end)) return refused('$datetimeStart is after $datetimeEnd')
  const rows = [...(ctx.invocations?.sums(accountTag, scriptName as string, start, end) ?? [])].map(
    ([scriptVersion, sum]) => ({
      sum: { requests: sum.requests, errors: sum.errors, subrequests: 0 },
      dimensions: { scriptVersion },
    }),
  )
  return {
    status: 200,
    body: { data: { viewer: { accounts: [{ workersInvocationsAdaptive: rows }] } }, errors: null },
  }
}

function refused(message: string): ApiReply {
  return { status: 200, body: { data: null, errors: [{ message, path: null, extensions: {} }] } }
}

/** Whitespace runs to one space, none next to punctuation: the same query however it is laid out. */
function normalise(query: string): string {
  return query
    .replace(/\s+/g, ' ')
    .replace(/\s*([{}():,!])\s*/g, '$1')
    .trim()
}
