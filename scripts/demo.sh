#!/usr/bin/env bash
# The first run: install composeswarm into .venv, bring up a local swarm when none is reachable, build
# the web revisions, deploy examples/stack_03 (a registry and a 4-replica web service fed from it),
# push the revisions to the stack's registry, and show the stack's services, tasks and one page.
#
#   scripts/demo.sh            STACK=stack03 REV=1 unless set
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO_ROOT"
STACK="${STACK:-stack03}"
export REV="${REV:-1}"
FILE="examples/stack_03/docker-stack.yml"
CS="$REPO_ROOT/.venv/bin/composeswarm"

"$REPO_ROOT/scripts/venv.sh"
"$REPO_ROOT/scripts/swarm-up.sh"

banner() { printf '\n== %s\n' "$*"; }

deploy() {
    banner "composeswarm deploy -f $FILE $STACK   (REV=$REV)"
    "$CS" deploy -f "$FILE" "$STACK"
}

banner "building the web revisions apacz01/02/03"
examples/stack_03/push-revisions.sh --build-only
deploy
banner "pushing the web revisions to the stack's registry"
examples/stack_03/push-revisions.sh

banner "waiting for ${STACK}_www01 to run 4 tasks"
for ((i = 0; i < 180; i++)); do
    [[ "$(docker service ls --filter "name=${STACK}_www01" --format '{{.Replicas}}')" == "4/4" ]] && break
    sleep 1
done

banner "composeswarm services $STACK"
"$CS" services "$STACK"
banner "composeswarm ps $STACK"
"$CS" ps "$STACK"
banner "a page from www01 (DNS round robin over its tasks)"
docker run --rm --network "${STACK}_default" local/busybox:1 \
    sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 www01 80 | tail -n 1"

cat <<EOF

Next, the rolling update (the README's walkthrough): change the image to revision 2 and redeploy;
the 4 tasks are replaced one at a time, 5 s apart:
    REV=2 .venv/bin/composeswarm plan -f $FILE $STACK
    REV=2 .venv/bin/composeswarm deploy -f $FILE $STACK
Remove the stack with: .venv/bin/composeswarm rm $STACK
EOF
