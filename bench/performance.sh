#!/usr/bin/env bash
# Every figure of the README's "Ytelse" section from one run, each beside its limit measured in
# the same run: first start, ingest, the encoder, query cost at 1k-100k passages, and a py-spy
# profile of the server answering searches.
# Output: var/bench/performance-<UTC time>.md (also on stdout); diagnostics in the .log beside it.
# Pass --sizes for bench/scaling.py (default 1000,10000,100000).
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
sizes=1000,10000,100000
if [[ "${1:-}" == "--sizes" ]]; then sizes=$2; fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p var/bench
report=var/bench/performance-$stamp.md
log=var/bench/performance-$stamp.log

{
  echo "# Refark performance report, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "$(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "## First start (bench/first_start.py)"
  $py bench/first_start.py 2>>"$log"
  echo
  echo "## Ingest (bench/ingest_speed.py)"
  $py bench/ingest_speed.py 2>>"$log"
  echo
  echo "## Encoder (bench/encoder_speed.py)"
  $py bench/encoder_speed.py 2>>"$log"
  echo
  echo "## Query at scale, synthetic corpora (bench/scaling.py)"
  $py bench/scaling.py --sizes "$sizes" 2>>"$log"
  echo
  echo "## Where a search's time goes in the server (bench/profile_search.py, py-spy)"
  $py bench/profile_search.py 2>>"$log"
  echo
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$report"
echo "report: $report, diagnostics: $log" >&2
