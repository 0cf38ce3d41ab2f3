// The query the plugin sends for a gated rollout, laid out differently from the plugin's own text:
// the emulator must answer it whatever the whitespace.
export const INVOCATIONS_QUERY_FOR_TESTS = `query WorkerVersionInvocations(
  $accountTag: string!, $scriptName: string!, $datetimeStart: Time!, $datetimeEnd: Time!
) { viewer { accounts(filter: {accountTag: $accountTag}) {
  workersInvocationsAdaptive(limit: 100, filter: {scriptName: $scriptName, datetime_geq: $datetimeStart, datetime_leq: $datetimeEnd}) {
    sum { requests errors subrequests } dimensions { scriptVersion }
} } } }`
