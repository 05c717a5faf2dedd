#!/usr/bin/env bash
# Runs every test of fhirlake on a Debian machine with Go: installs what the
# tests need (Debian and npm packages), checks formatting and vet, runs the
# Go tests, then the end-to-end checks with real clients (scripts/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "install test dependencies"
need=()
command -v /usr/bin/aws >/dev/null 2>&1 || need+=(awscli)
command -v mysql >/dev/null 2>&1 || need+=(mariadb-client)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
if ((${#need[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
for dir in synth/validate sqlserver/testdata/mysql2 scripts/clients; do
  [ -f "$dir/package.json" ] && (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
done

step "gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...

step "go test"
go test -timeout 45m ./...

step "end-to-end checks with real clients"
./scripts/e2e.sh
echo
echo "all tests passed"
