#!/usr/bin/env bash
# Load test: start `triage serve` on embedded defaults, drive /healthz (a
# no-op of the same server) and /v1/classify with concurrent clients, and
# report throughput, latency, errors and the server's peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10s}
CONC=${CONC:-16}
ADDR=127.0.0.1:${PORT:-18089}
export TRIAGE_DATA_DIR=${TRIAGE_DATA_DIR:-$(mktemp -d)}
go build -o /tmp/triage-load-server ./cmd/triage
go build -o /tmp/triage-loadtest ./tools/loadtest
TRIAGE_LOG_LEVEL=warn /tmp/triage-load-server serve --addr "$ADDR" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -fs "http://$ADDR/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "server pid $pid ready; $(nproc) cores; rss at start $(awk '/VmRSS/{print $2/1024 " MiB"}' /proc/$pid/status)"
/tmp/triage-loadtest -get -url "http://$ADDR/healthz" -c "$CONC" -d "$DUR"
/tmp/triage-loadtest -url "http://$ADDR/v1/classify" -c "$CONC" -d "$DUR"
echo "server peak rss $(awk '/VmHWM/{print $2/1024 " MiB"}' /proc/$pid/status)"
