#!/usr/bin/env bash
# Install composeswarm with its test extras into .venv (editable); idempotent and quick when nothing
# changed (a stamp records the pyproject.toml it installed).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
VENV="$REPO_ROOT/.venv"
STAMP="$VENV/.composeswarm-installed"

make_venv "$VENV"

want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [[ -x $VENV/bin/composeswarm && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
    exit 0
fi
log "installing composeswarm and its test extras into $VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
printf '%s\n' "$want" >"$STAMP"
