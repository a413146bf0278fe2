#!/usr/bin/env bash
# Set up Refark, ingest corpus/ if there is no index yet, and serve http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/refark serve "$@"
