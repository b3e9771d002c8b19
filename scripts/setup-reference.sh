#!/usr/bin/env bash
# Installs the PyTorch reference harness (tools/reference) into .venv-ref. Not needed to build
# or test the engine; needed to regenerate fixtures and parity tables.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# OpenBLAS: without it Debian's PyTorch runs its Linear layers on the netlib reference BLAS, 10x slower.
apt-get install -y -qq python3-torch python3-torchvision python3-numpy python3-venv python3-opencv python3-pil libopenblas0-openmp >/dev/null
/usr/bin/python3 -m venv --system-site-packages .venv-ref
.venv-ref/bin/pip install -q --no-deps -r tools/reference/requirements.txt
.venv-ref/bin/python -c "import torch, timm, safetensors; print('reference harness ready: torch', torch.__version__, 'timm', timm.__version__)"
