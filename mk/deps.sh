#!/usr/bin/env bash
# deps.sh — make sure the Debian packages siplab builds and tests with are present.
# As root, missing ones are installed (apt-get update first); otherwise the
# command to run is printed. Called by the Makefile; safe to run again.
set -euo pipefail

# pkg-config module -> Debian package
libs=(
  "sofia-sip-ua:libsofia-sip-ua-dev"
  "libsrtp2:libsrtp2-dev"
  "opus:libopus-dev"
  "spandsp:libspandsp-dev"
  "libnl-3.0:libnl-3-dev"
  "libnl-route-3.0:libnl-route-3-dev"
  "libcjson:libcjson-dev"
  "libnftables:libnftables-dev"
  "openssl:libssl-dev"
  "libpcap:libpcap-dev"
  "cmocka:libcmocka-dev"
)
# command -> Debian package (tools the lab and its tests run)
tools=(
  "pkg-config:pkg-config"
  "cc:gcc"
  "nft:nftables"
  "ip:iproute2"
  "sipp:sip-tester"
  "sipsak:sipsak"
  "setpriv:util-linux"
  "ping:iputils-ping"
  "tcpdump:tcpdump"
  "xmllint:libxml2-utils"
  "dig:bind9-dnsutils"
  "openssl:openssl"
  "turnutils_stunclient:coturn"
  "kamailio:kamailio"
  "chromium:chromium"
  "tshark:tshark"
  "baresip:baresip-core"
  "tmux:tmux"
)
if [ "${1:-}" = "--dev" ]; then
  # Only for `make lint` / `make asan`.
  tools+=("cppcheck:cppcheck" "clang-format:clang-format")
fi

missing=()
for pair in "${tools[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
for pair in "${libs[@]}"; do
  pkg-config --exists "${pair%%:*}" 2>/dev/null || missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "siplab: missing packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "siplab: install them as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "siplab: no apt-get here; install the equivalents of: ${missing[*]}" >&2
  exit 1
fi
echo "siplab: installing them with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
