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
if ! [[ -x $VENV/bin/composeswarm && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
    log "installing composeswarm and its test extras into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
    printf '%s\n' "$want" >"$STAMP"
fi
# An editable install leaves the package's own modules without bytecode, and where
# PYTHONDONTWRITEBYTECODE is set every start compiles them again: 0.2 s of a cold plan (issue 14).
# Write it now; compileall redoes only the files that changed.
"$VENV/bin/python" -m compileall -q composeswarm >/dev/null
