#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (as root) to build, test and benchmark Podswitch:
# installs exactly the packages we need (once), reserves hugepages when the kernel allows it.
# Idempotent: a second run installs nothing and only re-checks hugepages.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang libclang-rt-14-dev clang-format
  # libraries (DESIGN.md "Chosen libraries")
  libdpdk-dev dpdk dpdk-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libnl-3-dev libnl-route-3-dev libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev
  libsqlite3-dev sqlite3 libcpp-httplib-dev libspdlog-dev libcli11-dev libxdp-dev libbpf-dev
  # test and bench tools: namespaces, traffic, captures, peers
  iproute2 iputils-ping iperf3 ethtool procps psmisc netcat-openbsd python3 tshark
  containernetworking-plugins openvswitch-switch-dpdk
)

log() { printf 'setup: %s\n' "$*"; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all ${#PACKAGES[@]} packages present"
    return
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer once, non-interactively.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

reserve_hugepages() {
  local want=${PODSWITCH_HUGEPAGES:-1024}
  if [ ! -w /proc/sys/vm/nr_hugepages ]; then
    log "hugepages: /proc/sys/vm/nr_hugepages not writable; DPDK will run with --no-huge"
    return
  fi
  local have
  have=$(cat /proc/sys/vm/nr_hugepages)
  if [ "$have" -lt "$want" ]; then
    echo "$want" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
    have=$(cat /proc/sys/vm/nr_hugepages)
  fi
  if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
  fi
  if [ "$have" -gt 0 ] && grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
    log "hugepages: $have x 2 MiB reserved, hugetlbfs on /dev/hugepages"
  else
    log "hugepages: could not reserve ($have pages, mount $(grep -c hugetlbfs /proc/mounts));" \
      "DPDK will run with --no-huge"
  fi
}

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: must run as root (installs packages, reserves hugepages)" >&2
  exit 1
fi
install_packages
reserve_hugepages
