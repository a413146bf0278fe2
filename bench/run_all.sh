#!/usr/bin/env bash
# Every figure of the retrieval report from one run: NorQuAD validation, the bundled corpus's
# question set, public-docs with its question set, and query latency per mode. With --test it
# also reports NorQuAD test, which is done once, after tuning (see bench/README.md).
# Output: var/bench/report-<UTC time>.md (also on stdout); diagnostics in the .log beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p var/bench
report=var/bench/report-$stamp.md
log=var/bench/report-$stamp.log

{
  echo "# Refark retrieval report, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "## NorQuAD validation"
  $py bench/norquad.py --split validation 2>>"$log"
  if [[ "${1:-}" == "--test" ]]; then
    echo
    echo "## NorQuAD test"
    $py bench/norquad.py --split test --again 2>>"$log"
  fi
  echo
  echo "## Sample corpus, corpus/eval/questions.jsonl"
  .venv/bin/refark ingest corpus --index-dir var/bench/corpus-index >>"$log" 2>&1
  .venv/bin/refark eval corpus/eval/questions.jsonl --index-dir var/bench/corpus-index 2>>"$log"
  echo
  echo "## public-docs, bench/public_docs_questions.jsonl"
  $py bench/public_docs.py --questions bench/public_docs_questions.jsonl 2>>"$log"
  echo
  echo "## Latency per mode"
  $py bench/latency.py 2>>"$log"
} | tee "$report"
echo "report: $report, diagnostics: $log" >&2
