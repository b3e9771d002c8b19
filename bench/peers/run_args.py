"""The command-line options every timed runtime in bench/peers shares (no imports beyond
argparse: torch_current.py parses them before PyTorch is loaded, so that OMP_NUM_THREADS is
set first)."""
from __future__ import annotations

import argparse


def add_run_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--img-size", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--bf16", action="store_true")
