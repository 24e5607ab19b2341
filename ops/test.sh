#!/usr/bin/env bash
# The README's second command (and CI's): set everything up (idempotent), start Kafka and Redis,
# run the whole test suite against them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ops/setup.sh
.venv/bin/tickertape up
exec .venv/bin/python -m pytest "$@"
