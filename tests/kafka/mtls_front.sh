#!/bin/bash
# Puts the mock cluster behind mutual TLS on 127.0.0.1, so a client uses
# security.protocol=ssl end to end (bootstrap and every broker it learns from
# the metadata).
#
# The mock brokers only speak PLAINTEXT and advertise their own 127.0.0.1:PORT.
# So the cluster runs in a private network namespace, where it owns PORT; in
# the root namespace stunnel listens on the same 127.0.0.1:PORT, demands a
# client certificate from CERTDIR/ca.pem, and forwards each connection over a
# unix socket (path sockets cross namespaces) to a socat inside the namespace
# that connects to the real broker. No plaintext port exists in the root
# namespace, no veth, no routing.
#
#   mtls_front.sh start WORKDIR CERTDIR MOCKCLUSTER [serve options...]
#       writes WORKDIR/env (BOOTSTRAP=..., NETNS=..., PIDS="..."), prints it
#   mtls_front.sh stop WORKDIR
#   mtls_front.sh available      exit 0 if this machine can do it (root, ip netns, stunnel, socat)
set -eu

available() {
    [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v stunnel >/dev/null &&
        command -v socat >/dev/null || return 1
    local ns=lrprobe$$
    ip netns add "$ns" 2>/dev/null || return 1
    ip netns del "$ns"
}

stop() {
    local w=$1
    [ -f "$w/env" ] || return 0
    # shellcheck disable=SC1091
    . "$w/env"
    for p in ${PIDS:-}; do kill "$p" 2>/dev/null || true; done
    for p in ${PIDS:-}; do
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    done
    [ -n "${NETNS:-}" ] && ip netns del "$NETNS" 2>/dev/null
    rm -f "$w"/*.sock "$w/env"
    return 0
}

start() {
    local w c mock
    w=$(realpath -m "$1"); c=$(realpath "$2"); mock=$(realpath "$3"); shift 3
    mkdir -p "$w"
    rm -f "$w"/*.sock "$w/env"
    local ns=lrkafka$$ pids=""
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
    record() { printf 'NETNS=%s\nPIDS="%s"\n' "$ns" "$pids" > "$w/env"; }
    record
    trap 'record; stop "$w"; exit 1' ERR
    ip netns exec "$ns" "$mock" serve "$@" > "$w/mock.out" 2> "$w/mock.err" &
    pids=$!
    record
    local boot=""
    for _ in $(seq 1 100); do
        boot=$(sed -n 's/^BOOTSTRAP //p' "$w/mock.out")
        [ -n "$boot" ] && break
        sleep 0.05
    done
    [ -n "$boot" ] || { cat "$w/mock.err" >&2; false; }
    printf 'foreground = yes\npid =\ndebug = info\n' > "$w/stunnel.conf"
    local hp port
    for hp in ${boot//,/ }; do
        port=${hp##*:}
        ip netns exec "$ns" socat "UNIX-LISTEN:$w/broker-$port.sock,fork,unlink-early,mode=600" \
            "TCP:127.0.0.1:$port" 2> "$w/socat-$port.log" &
        pids="$pids $!"
        cat >> "$w/stunnel.conf" <<CONF
[broker-$port]
accept = 127.0.0.1:$port
connect = $w/broker-$port.sock
cert = $c/server.pem
key = $c/server.key
CAfile = $c/ca.pem
requireCert = yes
verifyChain = yes
sslVersionMin = TLSv1.2
CONF
    done
    record
    stunnel "$w/stunnel.conf" > "$w/stunnel.log" 2>&1 &
    pids="$pids $!"
    record
    local ready=0
    for _ in $(seq 1 100); do
        ready=1
        for hp in ${boot//,/ }; do
            port=${hp##*:}
            { ss -Hltn "sport = :$port" | grep -q 127.0.0.1 && [ -S "$w/broker-$port.sock" ]; } || ready=0
        done
        [ $ready = 1 ] && break
        sleep 0.05
    done
    [ $ready = 1 ] || { echo "mtls_front: TLS front not ready (port taken in the root namespace?)" >&2; \
                        cat "$w/stunnel.log" >&2; false; }
    trap - ERR
    echo "BOOTSTRAP=$boot" >> "$w/env"
    cat "$w/env"
}

case ${1:-} in
start) shift; start "$@" ;;
stop) stop "${2:?workdir}" ;;
available) available ;;
*) echo "usage: mtls_front.sh start WORKDIR CERTDIR MOCKCLUSTER [serve options] | stop WORKDIR | available" >&2; exit 2 ;;
esac
