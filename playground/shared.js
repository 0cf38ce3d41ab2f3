// The version every playground build creates: the same fields whichever bundler runs.
export const version = {
  compatibility_date: '2025-06-01',
  bindings: [{ type: 'plain_text', name: 'GREETING', text: 'hi from a plain_text binding' }],
  annotations: { 'workers/message': 'playground build' },
}
export const worker = 'playground'
