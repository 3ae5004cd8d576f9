#!/usr/bin/env bash
# Run the whole test suite from nothing: install composeswarm and its test extras into .venv, bring up
# a local swarm with the test images (scripts/swarm-up.sh), run pytest. Exits with pytest's code.
#
#   scripts/test.sh [PYTEST ARGS...]      e.g. scripts/test.sh tests/unit -x
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
start=$SECONDS
"$REPO_ROOT/scripts/venv.sh"
"$REPO_ROOT/scripts/swarm-up.sh"
log "set-up took $((SECONDS - start)) s"

# The import rules of docs/architecture.md (contracts in pyproject.toml): a broken rule fails the run.
(cd "$REPO_ROOT" && "$REPO_ROOT/.venv/bin/lint-imports")

# A hung test must not eat CI's 90 minutes silently: SIGINT after COMPOSESWARM_TEST_TIMEOUT seconds
# (85 min by default) makes pytest stop and print its summary.
exec timeout --signal=INT --kill-after=60 "${COMPOSESWARM_TEST_TIMEOUT:-5100}" \
    "$REPO_ROOT/.venv/bin/pytest" --durations=15 "$@"
