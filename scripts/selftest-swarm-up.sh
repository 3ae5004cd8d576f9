#!/usr/bin/env bash
# Test swarm-up.sh's from-nothing path without touching the engine others use: run it against a
# second dockerd that it starts itself, in a network namespace of its own (so its bridge, iptables
# rules and swarm ports 2377/7946/4789 cannot clash with the default engine), with its own socket,
# data root, exec root and pid file under $DIR. Everything is torn down at the end, even on failure.
#
#   scripts/selftest-swarm-up.sh [--demo] [--pytest]
#       --demo     also runs scripts/demo.sh (the README's first command) against that engine
#       --pytest   also runs tests/integration/test_infra.py against it
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="${COMPOSESWARM_SELFTEST_DIR:-/tmp/cs-selftest}"
NETNS="cs-selftest-$$"
RUN_PYTEST=0
RUN_DEMO=0
for arg in "$@"; do
    case "$arg" in
        --pytest) RUN_PYTEST=1 ;;
        --demo) RUN_DEMO=1 ;;
        *) die "usage: $0 [--demo] [--pytest]" ;;
    esac
done
[[ $EUID -eq 0 ]] || die "run as root (it creates a network namespace and starts dockerd)"
[[ -e $DIR ]] && die "$DIR exists; remove it (after stopping any dockerd using it) first"

export DOCKER_HOST="unix://$DIR/docker.sock"
export COMPOSESWARM_DOCKERD_DATA_ROOT="$DIR/data"
export COMPOSESWARM_DOCKERD_EXEC_ROOT="$DIR/exec"
export COMPOSESWARM_DOCKERD_PIDFILE="$DIR/docker.pid"
export COMPOSESWARM_DOCKERD_LOG="$DIR/dockerd.log"
# Start with /usr/bin before /usr/local/bin, as on a machine where only docker.io was installed
# in the usual places: lib.sh must still put the 28.2 CLI first.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/bin"

FAILED=0
check() {  # check DESCRIPTION CMD...: run CMD, report ok/FAIL
    local what="$1"; shift
    if "$@"; then printf 'ok   %s\n' "$what"; else printf 'FAIL %s\n' "$what"; FAILED=1; fi
}
in_ns() { nsenter --net="/run/netns/$NETNS" "$@"; }

teardown() {
    stop_private_engine "$DIR"
    ip netns del "$NETNS" 2>/dev/null || true
}
trap teardown EXIT

mkdir -p "$DIR"
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up

# 1. From nothing: no engine answers at DOCKER_HOST; a stale pid file names a live process that is
#    not dockerd (as after a crash and pid reuse).
check "no engine answers before" bash -c '! docker info >/dev/null 2>&1'
sleep 300 &
squatter=$!
echo "$squatter" >"$DIR/docker.pid"
start=$(date +%s%N)
check "swarm-up starts an engine, inits a swarm, makes images" in_ns "$REPO_ROOT/scripts/swarm-up.sh"
printf '     took %d ms\n' "$((($(date +%s%N) - start) / 1000000))"
check "stale pid file replaced" test "$(cat "$DIR/docker.pid")" != "$squatter"
kill "$squatter" 2>/dev/null || true
check "engine started with DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1" \
    grep -qz DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 "/proc/$(cat "$DIR/docker.pid")/environ"
check "swarm manager" test "$(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')" = "active true"
check "docker is the 28.2 CLI in scripts" bash -c "source '$REPO_ROOT/scripts/lib.sh'; docker version --format '{{.Client.Version}}' | grep -q '^28\.2\.'"
check "local/busybox:1 has rev=1" test "$(docker image inspect local/busybox:1 --format '{{.Config.Labels.rev}}')" = 1
check "local/busybox:2 has rev=2" test "$(docker image inspect local/busybox:2 --format '{{.Config.Labels.rev}}')" = 2
check "busybox runs sh, nc, httpd" test "$(in_ns docker run --rm local/busybox:1 sh -c 'for a in nc httpd; do [ -x /bin/$a ] && echo $a; done' | tr '\n' ' ')" = 'nc httpd '
check "local/registry:2 exists" test -n "$(docker images -q local/registry:2)"

# 2. Idempotent: a second run changes nothing.
ids_before="$(docker images -q --no-trunc | sort)"
check "second run succeeds" in_ns "$REPO_ROOT/scripts/swarm-up.sh"
check "second run made no image" test "$ids_before" = "$(docker images -q --no-trunc | sort)"

# 3. The registry as a service, push and pull by digest.
check "registry service answers" in_ns "$REPO_ROOT/scripts/registry.sh" up --name selftest-registry --port 5000
docker tag local/busybox:2 127.0.0.1:5000/selftest:2
check "push to it" docker push -q 127.0.0.1:5000/selftest:2
digest="$(docker image inspect 127.0.0.1:5000/selftest:2 --format '{{index .RepoDigests 0}}')"
docker rmi 127.0.0.1:5000/selftest:2 >/dev/null
check "pull by digest $digest" in_ns docker pull -q "$digest"

# 4. The integration tests against this engine.
if [[ $RUN_PYTEST -eq 1 ]]; then
    check "pytest tests/integration/test_infra.py" in_ns "$REPO_ROOT/.venv/bin/pytest" -q -p no:cacheprovider "$REPO_ROOT/tests/integration/test_infra.py"
fi
check "registry service removed" in_ns "$REPO_ROOT/scripts/registry.sh" down --name selftest-registry

# 5. The first run of the README.
if [[ $RUN_DEMO -eq 1 ]]; then
    demo_out="$(in_ns "$REPO_ROOT/scripts/demo.sh" 2>&1)" && rc=0 || rc=$?
    check "demo.sh exits 0" test "$rc" = 0
    check "demo.sh shows the page of revision 1" grep -qx '<html><body><h1>apacz01</h1><p>revision 1</p></body></html>' <<<"$demo_out"
    check "demo.sh shows 4/4 www01 tasks" grep -Eq 'stack03_www01 +replicated +4/4' <<<"$demo_out"
    [[ $rc -eq 0 ]] || printf '%s\n' "$demo_out" | tail -n 30
fi

# 6. An engine that answers but is not a swarm manager is left alone unless asked.
docker swarm leave --force >/dev/null
out="$(in_ns "$REPO_ROOT/scripts/swarm-up.sh" 2>&1)" && rc=0 || rc=$?
check "not in swarm mode: exit 1" test "$rc" = 1
check "not in swarm mode: message names the command" grep -q 'docker swarm init --advertise-addr 127.0.0.1' <<<"$out"
check "still not in swarm mode" test "$(docker info --format '{{.Swarm.LocalNodeState}}')" = inactive
check "--init-swarm makes it a manager" in_ns "$REPO_ROOT/scripts/swarm-up.sh" --init-swarm --no-images
check "COMPOSESWARM_INIT_SWARM=1 run is a no-op on a manager" env COMPOSESWARM_INIT_SWARM=1 "$REPO_ROOT/scripts/swarm-up.sh" --no-images

if [[ $FAILED -eq 0 ]]; then echo "selftest: all checks passed"; else echo "selftest: FAILED"; fi
exit "$FAILED"
