#!/usr/bin/env bash
# Prove that the pure unit tests need no Docker SDK: install composeswarm with every dependency of
# pyproject.toml except docker into .venv-nodocker, check that `import docker` fails there, and run
# `pytest -m "not engine" tests/unit` in it. Quick when pyproject.toml has not changed (a stamp records
# the one it installed). Run by scripts/test.sh before the main pytest run; exits with pytest's code.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
VENV="$REPO_ROOT/.venv-nodocker"
STAMP="$VENV/.composeswarm-installed"

make_venv "$VENV"

want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [[ ! -f $STAMP || "$(cat "$STAMP")" != "$want" ]]; then
    # The dependencies and test extras as pyproject.toml lists them (read, not copied), docker left out.
    mapfile -t deps < <("$VENV/bin/python" - <<'EOF'
import re
import tomllib

with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)["project"]
for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
    name = re.split(r"[\s\[<>=!~;@]", requirement, maxsplit=1)[0]
    if re.sub(r"[-_.]+", "-", name).lower() != "docker":
        print(requirement)
EOF
    )
    log "installing composeswarm without docker into $VENV: ${deps[*]}"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${deps[@]}"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
    printf '%s\n' "$want" >"$STAMP"
fi

# A dependency that pulls docker in would make this step prove nothing.
if "$VENV/bin/python" -c "import docker" 2>/dev/null; then
    die "docker is importable in $VENV: something installs it (pip show docker says who needs it)"
fi
log "pure unit tests without the Docker SDK"
"$VENV/bin/python" -m pytest -q -m "not engine" tests/unit
