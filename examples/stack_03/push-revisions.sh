#!/usr/bin/env bash
# Build the three revisions of the walkthrough's web image (apacz01/02/03: busybox httpd serving a page
# that names its revision) and push them to the stack's registry once it answers.
#
#   examples/stack_03/push-revisions.sh [--build-only]   to 127.0.0.1:$REGISTRY_PORT (5000 unless set)
#
# --build-only makes the images without a registry. Built before the first deploy, they let www01's
# first tasks start on this node before the registry holds anything (the engine runs with
# DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1, so a local image is used as it is); a watched deploy would
# otherwise see them fail until the push.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"

REGISTRY="127.0.0.1:${REGISTRY_PORT:-5000}"
REVISIONS=(1 2 3)
BUILD_ONLY=0
case "${1:-}" in
    --build-only) BUILD_ONLY=1 ;;
    "") ;;
    *) die "usage: $0 [--build-only]" ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$REPO_ROOT/scripts/images.sh" rootfs "$tmp/rootfs"
mkdir -p "$tmp/rootfs/www"
for rev in "${REVISIONS[@]}"; do
    ref="$REGISTRY/apacz:$rev"
    if ! image_exists "$ref"; then
        printf '<html><body><h1>apacz0%s</h1><p>revision %s</p></body></html>\n' "$rev" "$rev" >"$tmp/rootfs/www/index.html"
        tar_rootfs "$tmp/rootfs" | docker import -c "LABEL rev=$rev" \
            -c 'CMD ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]' -c 'EXPOSE 80' - "$ref" >/dev/null
        log "built $ref"
    fi
done
[[ $BUILD_ONLY -eq 1 ]] && exit 0

"$REPO_ROOT/scripts/registry.sh" wait --port "${REGISTRY_PORT:-5000}"
for rev in "${REVISIONS[@]}"; do
    ref="$REGISTRY/apacz:$rev"
    docker push -q "$ref" >/dev/null
    log "pushed $ref ($(docker image inspect "$ref" --format '{{index .RepoDigests 0}}' | cut -d@ -f2))"
done
