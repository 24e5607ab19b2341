#!/usr/bin/env bash
# The README's first command: set everything up (idempotent), then run the demo pipeline.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ops/setup.sh
exec .venv/bin/tickertape demo "$@"
