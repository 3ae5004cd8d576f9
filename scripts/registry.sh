#!/usr/bin/env bash
# A real registry with no network: Debian's docker-registry packed into an imported image.
#
#   scripts/registry.sh build                      make local/registry:2 when missing
#   scripts/registry.sh up [--name N] [--port P] [--auth USER:PASSWORD]
#                                                  run it as a swarm service pinned to a manager,
#                                                  port P published in host mode; wait until it answers
#   scripts/registry.sh down [--name N]            remove that service (and its htpasswd secret)
#   scripts/registry.sh wait [--port P]            wait until 127.0.0.1:P/v2/ answers
#   scripts/registry.sh htpasswd USER PASSWORD     print a bcrypt htpasswd line
#
# Defaults: --name composeswarm-registry --port 5000. The image is local/registry:2 unless
# COMPOSESWARM_REGISTRY_IMAGE says otherwise. With --auth the registry asks for basic auth
# (htpasswd, bcrypt: the only hash docker-registry accepts) from a swarm secret.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REGISTRY_IMAGE="${COMPOSESWARM_REGISTRY_IMAGE:-local/registry:2}"
NAME="composeswarm-registry"
PORT=5000
AUTH=""

# build: binary + libc + loader + config, imported with the registry as entrypoint.
build() {
    image_exists "$REGISTRY_IMAGE" && return 0
    apt_install docker-registry
    local bin=/usr/bin/docker-registry tmp lib
    tmp="$(mktemp -d)"
    # shellcheck disable=SC2064 # expand now: tmp is local
    trap "rm -rf '$tmp'" EXIT
    mkdir -p "$tmp/usr/bin" "$tmp/etc/docker/registry" "$tmp/var/lib/registry" "$tmp/tmp"
    chmod 1777 "$tmp/tmp"
    cp "$bin" "$tmp/usr/bin/"
    # Copy exactly the shared objects the binary links (libc and the loader on Debian 12).
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
        mkdir -p "$tmp$(dirname "$lib")"
        cp -L "$lib" "$tmp$lib"
    done
    cat >"$tmp/etc/docker/registry/config.yml" <<'EOF'
version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
EOF
    tar_rootfs "$tmp" | docker import \
        -c 'ENTRYPOINT ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]' \
        -c 'EXPOSE 5000' -c 'LABEL org.opencontainers.image.title=docker-registry' \
        - "$REGISTRY_IMAGE" >/dev/null
    log "made $REGISTRY_IMAGE"
}

# http_status PORT: the HTTP status of GET 127.0.0.1:PORT/v2/, or nothing (no curl needed).
http_status() {
    (
        trap '' PIPE  # a registry that closes early must not kill the caller with SIGPIPE (exit 141)
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
        printf 'GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        IFS=' ' read -r -t 5 _ status _ <&3 || true
        printf '%s' "${status:-}"
    ) 2>/dev/null || true
}

# wait_ready PORT: 200 (open) or 401 (auth) within 60 s.
wait_ready() {
    local i status
    for ((i = 0; i < 120; i++)); do
        status="$(http_status "$1")"
        if [[ $status == 200 || $status == 401 ]]; then
            log "registry answers on 127.0.0.1:$1 (HTTP $status)"
            return 0
        fi
        sleep 0.5
    done
    die "no registry answered on 127.0.0.1:$1/v2/ within 60 s"
}

# htpasswd USER PASSWORD: bcrypt through libcrypt (python3's crypt), else apache2-utils.
htpasswd_line() {
    local user="$1" password="$2"
    local py='import crypt, sys
h = crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH))
if not (h or "").startswith("$2"):
    sys.exit(1)
print(f"{sys.argv[1]}:{h}")'
    if python3 -W ignore -c "$py" "$user" "$password" 2>/dev/null; then
        return 0
    fi
    command -v htpasswd >/dev/null 2>&1 || apt_install apache2-utils
    htpasswd -nbB "$user" "$password" | sed '/^$/d'
}

up() {
    build
    if docker service inspect "$NAME" >/dev/null 2>&1; then
        log "service $NAME exists"
        wait_ready "$PORT"
        return 0
    fi
    local args=(--detach --name "$NAME" --constraint node.role==manager
                --publish "mode=host,target=5000,published=$PORT" --stop-grace-period 2s
                --label com.github.composeswarm.registry=true --no-resolve-image)
    if [[ -n $AUTH ]]; then
        local secret="${NAME}_htpasswd"
        docker secret rm "$secret" >/dev/null 2>&1 || true
        htpasswd_line "${AUTH%%:*}" "${AUTH#*:}" | docker secret create "$secret" - >/dev/null
        args+=(--secret "source=$secret,target=htpasswd"
               --env REGISTRY_AUTH=htpasswd --env REGISTRY_AUTH_HTPASSWD_REALM=composeswarm
               --env REGISTRY_AUTH_HTPASSWD_PATH=/run/secrets/htpasswd)
    fi
    docker service create "${args[@]}" "$REGISTRY_IMAGE" >/dev/null
    log "created service $NAME"
    wait_ready "$PORT"
}

down() {
    docker service rm "$NAME" >/dev/null 2>&1 && log "removed service $NAME" || true
    # The secret stays in use until the task is gone; retry briefly.
    local i
    for ((i = 0; i < 40; i++)); do
        docker secret inspect "${NAME}_htpasswd" >/dev/null 2>&1 || return 0
        docker secret rm "${NAME}_htpasswd" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
}

cmd="${1:-}"; shift || true
case "$cmd" in
    htpasswd) [[ $# -eq 2 ]] || die "usage: $0 htpasswd USER PASSWORD"; htpasswd_line "$1" "$2"; exit ;;
    build|up|down|wait) ;;
    *) die "usage: $0 build | up [--name N] [--port P] [--auth USER:PASSWORD] | down [--name N] | wait [--port P] | htpasswd USER PASSWORD" ;;
esac
while [[ $# -gt 0 ]]; do
    case "$1" in
        --name) NAME="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        --auth) AUTH="$2"; [[ $AUTH == *:* ]] || die "--auth wants USER:PASSWORD"; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done
case "$cmd" in
    build) build ;;
    up) up ;;
    down) down ;;
    wait) wait_ready "$PORT" ;;
esac
