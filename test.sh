#!/usr/bin/env bash
# Set up Refark with its test tools, then lint and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
