#!/usr/bin/env bash
# Install logrelay's Debian 12 build and test dependencies, then build into build/.
# Idempotent; needs root (or sudo) for apt-get. Usage: ./contrib/setup.sh [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  librdkafka-dev libyaml-dev libjansson-dev libpcre2-dev zlib1g-dev libssl-dev
  libcurl4-openssl-dev libmicrohttpd-dev libcmocka-dev
  # tests: Kafka tools, TLS fronts, syslog receiver, python
  kafkacat stunnel4 socat iproute2 openssl rsyslog rsyslog-openssl python3 curl procps
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
echo "built: build/logrelay (modules in build/plugins/)"
