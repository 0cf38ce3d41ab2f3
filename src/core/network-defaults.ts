/**
 * The network limits' defaults. They live here, below both the options (which document and apply
 * them, `options/defaults.ts`) and the API client (which applies them to calls made without
 * resolved options), because neither of those two may import the other.
 */
export const NETWORK_DEFAULTS = {
  /** Per-request limits, and one deadline for the whole upload: every call, the static assets included, so it allows a large first assets upload on a slow link. */
  timeouts: { connectMs: 10_000, headersMs: 60_000, bodyMs: 60_000, deadlineMs: 30 * 60_000 },
  retries: { attempts: 5, baseDelayMs: 500, maxDelayMs: 10_000 },
  /** Asset buckets uploaded at once, as wrangler does. */
  assetsConcurrency: 3,
} as const
