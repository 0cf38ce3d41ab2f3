export function describe(env) {
  return `lazy chunk loaded; bindings: ${Object.keys(env).join(', ')}\n`
}
