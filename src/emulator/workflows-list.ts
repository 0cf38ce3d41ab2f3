/**
 * `GET /accounts/:a/workflows?page=…&per_page=…`: the account's Workflows, a page at a time, as
 * the API's "List all Workflows" serves them (`page` ≥ 1, `per_page` 1 to 100; each entry's `id`,
 * `name`, `script_name`, `class_name`, `created_on`, `modified_on`; `result_info` with the page).
 * A page or size out of range is refused, as the API's schema refuses it.
 */
import type { ApiContext, ApiRequest, Route } from './api.js'
import { invalid, okPage, type ApiReply } from './envelope.js'

const MAX_PER_PAGE = 100
/** The size of a page when `per_page` is not given. */
const DEFAULT_PER_PAGE = 20

export const WORKFLOW_LIST_ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/accounts\/([^/]+)\/workflows\/?$/, handler: listWorkflows },
]

function whole(value: string | null, fallback: number): number | undefined {
  if (value === null) return fallback
  return /^\d+$/.test(value) ? Number(value) : undefined
}

function listWorkflows(ctx: ApiContext, req: ApiRequest, [account = '']: string[]): ApiReply {
  const page = whole(req.query.get('page'), 1)
  if (page === undefined || page < 1) return invalid('page must be a whole number from 1', '/page')
  const perPage = whole(req.query.get('per_page'), DEFAULT_PER_PAGE)
  if (perPage === undefined || perPage < 1 || perPage > MAX_PER_PAGE)
    return invalid(`per_page must be a whole number from 1 to ${MAX_PER_PAGE}`, '/per_page')
  const all = [...ctx.workflows.entries()]
    .filter(([key]) => key.startsWith(`${account}\n`))
    .map(([, w]) => w)
    .sort((a, b) => a.name.localeCompare(b.name))
  return okPage(
    all,
    page,
    perPage,
    ({ id, name, script_name, class_name, created_on, modified_on }) => ({
      id,
      name,
      script_name,
      class_name,
      created_on,
      modified_on,
    }),
    { totalPages: false },
  )
}
