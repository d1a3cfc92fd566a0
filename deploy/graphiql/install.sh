#!/usr/bin/env sh
# Install GraphiQL's browser assets from the npm registry (versions pinned in package.json and
# package-lock.json) and copy the few files the page loads into api/static/graphiql/
# (gitignored), from where the API serves them at /graphiql-assets/. Without them /graphql
# loads the same versions from the public CDN.
#   sh deploy/graphiql/install.sh            (needs node and npm)
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../api/static/graphiql}"
cd "$here"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
mkdir -p "$out"
cp node_modules/react/umd/react.production.min.js \
   node_modules/react-dom/umd/react-dom.production.min.js \
   node_modules/graphiql/graphiql.min.js \
   node_modules/graphiql/graphiql.min.css \
   node_modules/graphql-ws/umd/graphql-ws.min.js \
   "$out/"
node -e 'const p=require("./package.json").dependencies;require("fs").writeFileSync(process.argv[1],JSON.stringify(p,null,2)+"\n")' "$out/versions.json"
echo "GraphiQL assets installed in $out"
