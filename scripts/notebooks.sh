#!/usr/bin/env bash
# make notebooks: execute both notebooks headless against the fixtures; executed copies and PNG
# figures go to notebooks/out/ (git-ignored). Set RESTRACE_DB / RESTRACE_CAPTURE to use your own data.
set -euo pipefail
cd "$(dirname "$0")/../notebooks"
mkdir -p out
if [ -z "${RESTRACE_DB:-}" ]; then
  ../.build/release/restrace project ../fixtures/failure-storm/capture --db out/fixture.sqlite --quiet
  export RESTRACE_DB=out/fixture.sqlite
fi
export RESTRACE_CAPTURE=${RESTRACE_CAPTURE:-../fixtures/blind-window/capture}
.venv/bin/python run.py out
echo "executed notebooks and figures are in notebooks/out/"
