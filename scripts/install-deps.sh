#!/usr/bin/env bash
# Installs every system package the engine needs to build and test, from Debian's archive.
# Safe to run again; needs root (or sudo) on a Debian 12 machine.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
packages=(
  build-essential cmake pkg-config ninja-build
  dpkg-dev file          # cpack's Debian package: dpkg-shlibdeps computes its dependencies
  libdnnl-dev            # oneDNN: CPU GEMM and convolution
  ocl-icd-opencl-dev opencl-headers  # required by Debian's oneDNN CMake package
  libzip-dev             # .pth checkpoints are zip archives
  nlohmann-json3-dev     # safetensors headers
  libcli11-dev           # command line
  libopenimageio-dev     # image files (EXR, PNG, TIFF, JPEG, DPX)
  libcurl4-openssl-dev   # checkpoint download
  libssl-dev             # SHA-256 of weights files (run manifests)
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev  # video in and out (FFmpeg)
  libopencolorio-dev     # colour management
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev  # libFuzzer and its sanitizers (scripts/fuzz.sh)
  python3                # writes the fuzzers' pickle seeds; the instruction-set checks
  python3-dev python3-venv  # the Python package (nanobind, scikit-build-core and pytest come from PyPI)
  binutils qemu-user     # objdump and an emulated Haswell and Nehalem (tests/isa)
  slurmctld slurmd slurm-client munge  # the render-farm tests start a one-node cluster of their own
  libcpp-httplib-dev     # the keying station's web server (corridorkey serve)
  chromium chromium-driver python3-selenium  # the keying station's tests in a real browser
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "system dependencies ready"
