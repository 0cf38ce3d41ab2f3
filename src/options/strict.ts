/**
 * The `strict` option: refuse, before anything is written, a deploy that removes a binding, a route
 * or a Custom Domain, changes a binding's target or lowers the compatibility date, unless `allow`
 * acknowledges that change by its key. The keys are the ones the refusal prints.
 */

export interface StrictOption {
  /**
   * The changes acknowledged, one key each: `remove-binding:<name>`, `change-binding:<name>`,
   * `remove-route:<pattern>`, `remove-domain:<hostname>`, `lower-compatibility-date`.
   */
  allow?: string[]
}

/** What strict mode acknowledges, once resolved; undefined when strict mode is off. */
export interface ResolvedStrict {
  allow: readonly string[]
}

const KEY =
  /^(?:(?:remove-binding|change-binding|remove-route|remove-domain):\S.*|lower-compatibility-date)$/

/** Whether `key` is one a refusal can print. */
export function isStrictKey(key: unknown): key is string {
  return typeof key === 'string' && KEY.test(key)
}

export const STRICT_KEY_FORMS =
  "'remove-binding:<name>', 'change-binding:<name>', 'remove-route:<pattern>', 'remove-domain:<hostname>' or 'lower-compatibility-date'"

export function resolveStrict(
  input: boolean | StrictOption | undefined,
): ResolvedStrict | undefined {
  if (input === undefined || input === false) return undefined
  return { allow: input === true ? [] : [...(input.allow ?? [])] }
}
