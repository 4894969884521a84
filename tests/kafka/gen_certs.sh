#!/bin/bash
# Writes a provider-like client bundle plus what the tests need around it, with
# openssl only.  Usage: gen_certs.sh DIR [PASSWORD]
#   ca.pem                      the CA the TLS front and the client bundle share
#   client.pem, client.key      client certificate and its PKCS#8 key, AES-256 under PASSWORD
#   client.p12                  PKCS#12 keystore (key + certificate + CA) under PASSWORD
#   truststore.p12              PKCS#12 holding the CA certificate only, under PASSWORD
#   password.txt                PASSWORD, no trailing newline (as the provider ships it)
#   server.pem, server.key      the TLS front's certificate (SAN IP:127.0.0.1, DNS:localhost)
#   otherca.pem, rogue.pem/.key a client certificate signed by an unrelated CA
#   expired.pem, expired.key    a client certificate from ca.pem that expired in 2020 (plain key)
set -eu
D=${1:?usage: gen_certs.sh DIR [PASSWORD]}
PW=${2:-pw-$RANDOM$RANDOM}
mkdir -p "$D"
cd "$D"
ossl() { openssl "$@" 2>/dev/null; }
printf '%s' "$PW" > password.txt
chmod 600 password.txt

new_ca() { # file-stem common-name
    ossl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 30 -subj "/CN=$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
issue() { # name ca-stem extensions
    ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.plain"
    ossl req -new -key "$1.plain" -out "$1.csr" -subj "/CN=$1"
    printf '%b' "$3" > "$1.ext"
    ossl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 30 -out "$1.pem" \
        -extfile "$1.ext"
    rm -f "$1.csr" "$1.ext"
}
new_ca ca "logrelay test CA"
new_ca otherca "some other CA"
issue server ca "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
issue client ca "extendedKeyUsage=clientAuth\n"
issue rogue otherca "extendedKeyUsage=clientAuth\n"
mv server.plain server.key
mv rogue.plain rogue.key
ossl pkcs8 -topk8 -v2 aes-256-cbc -in client.plain -out client.key -passout file:password.txt
ossl pkcs12 -export -in client.pem -inkey client.plain -certfile ca.pem -name client -out client.p12 \
    -passout file:password.txt
ossl pkcs12 -export -nokeys -in ca.pem -name ca -out truststore.p12 -passout file:password.txt
rm -f client.plain

# An expired certificate needs explicit dates, which only `openssl ca` takes.
mkdir -p expca
: > expca/index.txt
cat > expca/ca.cnf <<CNF
[ca]
default_ca = exp
[exp]
database = $PWD/expca/index.txt
new_certs_dir = $PWD/expca
serial = $PWD/expca/serial
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
CNF
echo 1000 > expca/serial
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out expired.key
ossl req -new -key expired.key -out expired.csr -subj "/CN=expired"
ossl ca -batch -config expca/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
    -startdate 20200101000000Z -enddate 20200201000000Z -notext
rm -rf expca expired.csr ./*.srl
chmod 600 ./*.key
[ -s expired.pem ] && [ -s client.p12 ] && [ -s truststore.p12 ]
