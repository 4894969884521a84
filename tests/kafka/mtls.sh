#!/bin/bash
# Mutual TLS end to end: the mock cluster behind a TLS front that demands a
# client certificate (mtls_front.sh). The agent reads with the provider's PEM
# files and with its PKCS#12 keystore + truststore; a client without a
# certificate, with a certificate from another CA, or with a wrong password
# is refused with a clear message. Skipped (exit 0 with a message) where
# this machine cannot make network namespaces.
. "$(dirname "$0")/lib.sh"
if ! "$HERE/mtls_front.sh" available; then
    echo "SKIP: mutual TLS test needs root, 'ip netns', stunnel and socat"
    exit 0
fi
K=$W/certs
"$HERE/gen_certs.sh" "$K" > /dev/null || exit 1
FRONT=$W/front
"$HERE/mtls_front.sh" start "$FRONT" "$K" "$MOCK" --topic c83:2 > /dev/null || exit 1
. "$FRONT/env"
BOOT=$BOOTSTRAP
TLS_X=(-X security.protocol=ssl -X ssl.ca.location="$K/ca.pem" -X ssl.certificate.location="$K/client.pem"
       -X ssl.key.location="$K/client.key" -X ssl.key.password="$(cat "$K/password.txt")")
"$MOCK" produce -b "$BOOT" -t c83 --seq 5000 --size 40 "${TLS_X[@]}" > /dev/null
ok "records produced over mutual TLS" [ $? = 0 ]

pem_tls=("tls:" "  ca_file: $K/ca.pem" "  cert_file: $K/client.pem" "  key_file: $K/client.key"
         "  key_password_file: $K/password.txt")
write_config "$W/pem.yaml" c83_pem "$W/pem.log" "${pem_tls[@]}"
"$LOGRELAY" run -c "$W/pem.yaml" --exit-when-idle 4s > "$W/pem-agent.log" 2>&1
ok "PEM: agent exits 0" [ $? = 0 ]
ok "PEM: all 5000 records delivered" [ "$(ids "$W/pem.log" | sort -u | wc -l)" = 5000 ]
ok "PEM: committed offsets equal the high watermarks" committed_equals_high c83_pem "${TLS_X[@]}"

p12_tls=("tls:" "  truststore_file: $K/truststore.p12" "  keystore_file: $K/client.p12"
         "  keystore_password_file: $K/password.txt")
write_config "$W/p12.yaml" c83_p12 "$W/p12.log" "${p12_tls[@]}"
"$LOGRELAY" run -c "$W/p12.yaml" --exit-when-idle 4s > "$W/p12-agent.log" 2>&1
ok "PKCS#12 + truststore: agent exits 0" [ $? = 0 ]
ok "PKCS#12 + truststore: all 5000 records delivered" [ "$(ids "$W/p12.log" | sort -u | wc -l)" = 5000 ]

refused() { # name config-lines... : agent must stop with exit 1 and the expected reason
    local name=$1 reason=$2; shift 2
    write_config "$W/$name.yaml" "c83_$name" "$W/$name.log" "auth_error_timeout: 5s" "$@"
    timeout 60 "$LOGRELAY" run -c "$W/$name.yaml" --exit-when-idle 30s > "$W/$name-agent.log" 2>&1
    local rc=$?
    echo "    $(grep -m1 -E 'error|ERROR' "$W/$name-agent.log" | cut -c1-240)"
    [ $rc = 1 ] && grep -q "$reason" "$W/$name-agent.log" && [ ! -s "$W/$name.log" ]
}
ok "no client certificate: refused (certificate required), exit 1" \
    refused nocert "certificate required" "tls:" "  ca_file: $K/ca.pem"
ok "certificate from another CA: refused (unknown ca), exit 1" \
    refused rogue "unknown ca" "tls:" "  ca_file: $K/ca.pem" "  cert_file: $K/rogue.pem" "  key_file: $K/rogue.key"
ok "client trusting another CA: refused (certificate verify failed), exit 1" \
    refused wrongca "certificate verify failed" "tls:" "  ca_file: $K/otherca.pem" "  keystore_file: $K/client.p12" \
    "  keystore_password_file: $K/password.txt"
startup_error() { # name reason config-lines...: refused at start-up, before any connection
    local name=$1 reason=$2; shift 2
    write_config "$W/$name.yaml" "c83_$name" "$W/$name.log" "$@"
    timeout 20 "$LOGRELAY" run -c "$W/$name.yaml" > "$W/$name-agent.log" 2>&1
    local rc=$?
    echo "    $(head -1 "$W/$name-agent.log" | cut -c1-240)"
    [ $rc = 1 ] && grep -q "$reason" "$W/$name-agent.log" && grep -q "$W/$name.yaml:" "$W/$name-agent.log"
}
ok "wrong keystore password: start-up error naming the file" \
    startup_error badpw "wrong password for $K/client.p12" "tls:" "  ca_file: $K/ca.pem" \
    "  keystore_file: $K/client.p12" "  keystore_password: not-the-password"
ok "wrong key password: start-up error naming the file" \
    startup_error badkeypw "wrong password for the key in $K/client.key" "tls:" "  ca_file: $K/ca.pem" \
    "  cert_file: $K/client.pem" "  key_file: $K/client.key" "  key_password: nope"
ok "the password never appears in messages" bash -c "! grep -q not-the-password '$W/badpw-agent.log'"
ok "TLS front verified the agent's client certificate" grep -q "Certificate accepted at depth=0: CN=client" \
    "$FRONT/stunnel.log"
finish
