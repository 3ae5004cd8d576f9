#!/usr/bin/env bash
# Run the whole test suite from nothing: install composeswarm and its test extras into .venv, bring up
# a local swarm with the test images (scripts/swarm-up.sh), install Debian's Pushgateway, openssh-server,
# socat and zsh, run the pure
# unit tests in a venv without the Docker SDK (scripts/test-nodocker.sh), then pytest (tests/multinode
# included: its fixture brings up the multi-node bed of scripts/multinode.sh once and removes it at the
# end, failing the run if anything is left; it needs root, and fails with CI=true without it). Exits with
# pytest's code, or with the no-docker step's when only that failed.
#
#   scripts/test.sh [PYTEST ARGS...]      e.g. scripts/test.sh tests/unit -x
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
start=$SECONDS
"$REPO_ROOT/scripts/venv.sh"
"$REPO_ROOT/scripts/swarm-up.sh"
# The metrics tests push to a real Pushgateway: each test starts its own (tests/integration/test_metrics.py).
"$REPO_ROOT/scripts/pushgateway.sh" install
# The ssh:// tests run a real OpenSSH server, the TLS tests a TLS endpoint (socat): each test module
# starts its own on 127.0.0.1 and stops it by pid (tests/support/sshd.py, tests/integration/test_tls.py).
"$REPO_ROOT/scripts/sshd.sh" install
"$REPO_ROOT/scripts/tlsengine.sh" install
# The completion tests install and load typer's scripts in a real bash and zsh.
apt_install zsh
log "set-up took $((SECONDS - start)) s"

# The import rules of docs/architecture.md (contracts in pyproject.toml): a broken rule fails the run.
(cd "$REPO_ROOT" && "$REPO_ROOT/.venv/bin/lint-imports")

# Only engine/ may import docker: the pure unit tests must pass where the SDK is not installed. A
# failure here does not stop the main run, so one CI run reports both.
nodocker=0
"$REPO_ROOT/scripts/test-nodocker.sh" || nodocker=$?

# A hung test must not eat CI's 90 minutes silently: SIGINT after COMPOSESWARM_TEST_TIMEOUT seconds
# (85 min by default) makes pytest stop and print its summary.
status=0
timeout --signal=INT --kill-after=60 "${COMPOSESWARM_TEST_TIMEOUT:-5100}" \
    "$REPO_ROOT/.venv/bin/pytest" --durations=15 "$@" || status=$?
if [[ $status -eq 0 && $nodocker -ne 0 ]]; then
    log "the unit tests failed without the Docker SDK (scripts/test-nodocker.sh exited $nodocker)"
    status=$nodocker
fi
exit "$status"
