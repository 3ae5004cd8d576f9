#!/usr/bin/env bash
# Make the local test images when they are missing; nothing can be pulled here, so they are imported.
#
#   scripts/images.sh            REPO:1 and REPO:2 (busybox-static, differ by the label rev)
#   scripts/images.sh rootfs DIR lay a busybox root file system into DIR (for other image builds)
#
# REPO is local/busybox unless COMPOSESWARM_BUSYBOX_REPO says otherwise (the self-test uses another).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUSYBOX_REPO="${COMPOSESWARM_BUSYBOX_REPO:-local/busybox}"
# The applets test stacks use (sh, nc, sleep, httpd above all) and a few that help when debugging.
APPLETS=(sh ash cat cp date echo env false grep head hostname httpd id kill ls mkdir mv nc nslookup
         ping printf ps rm sed seq sleep sort tail tee test timeout touch tr true uname wc)

# busybox_rootfs DIR: busybox-static plus one symlink per applet, /etc/passwd and /tmp.
busybox_rootfs() {
    local dir="$1" bb="" a
    for a in /bin/busybox /usr/bin/busybox; do
        # A dynamic busybox would not run in an image without libc.
        if [[ -x $a ]] && ! ldd "$a" >/dev/null 2>&1; then bb="$a"; break; fi
    done
    if [[ -z $bb ]]; then
        apt_install busybox-static
        bb=/bin/busybox
    fi
    mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp"
    chmod 1777 "$dir/tmp"
    cp "$bb" "$dir/bin/busybox"
    for a in "${APPLETS[@]}"; do ln -sf busybox "$dir/bin/$a"; done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

# ensure_busybox_images: import REPO:1 and REPO:2 from one root fs when either is missing.
ensure_busybox_images() {
    local rev tmp=""
    for rev in 1 2; do
        image_exists "$BUSYBOX_REPO:$rev" && continue
        if [[ -z $tmp ]]; then
            tmp="$(mktemp -d)"
            # shellcheck disable=SC2064 # expand now: tmp is local
            trap "rm -rf '$tmp'" EXIT
            busybox_rootfs "$tmp"
        fi
        tar_rootfs "$tmp" | docker import -c "LABEL rev=$rev" -c 'CMD ["/bin/sh"]' - "$BUSYBOX_REPO:$rev" >/dev/null
        log "made $BUSYBOX_REPO:$rev"
    done
}

case "${1:-}" in
    rootfs) [[ $# -eq 2 ]] || die "usage: $0 rootfs DIR"; busybox_rootfs "$2" ;;
    "") ensure_busybox_images ;;
    *) die "usage: $0 [rootfs DIR]" ;;
esac
