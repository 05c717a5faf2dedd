#!/usr/bin/env bash
# Runs the npm clients against a running server: run.sh URL DATASTORE KEY SECRET CERT
set -euo pipefail
cd "$(dirname "$0")"
url=$1 datastore=$2 key=$3 secret=$4 cert=$5
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
NODE_EXTRA_CA_CERTS="$cert" node fhir.mjs "$url/datastore/$datastore/r4" "$key" "$secret"
