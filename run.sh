#!/usr/bin/env bash
# Set up Refark and serve http://127.0.0.1:8000 (with no index yet, corpus/ is ingested in the
# background while the page already answers)
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/refark serve "$@"
