"""Compares two stage dumps (the engine's `infer --dump-tensors` and the harness's
dump_reference.py) and prints a Markdown table of max abs, mean abs and NMSE per stage.

  python compare_stages.py ENGINE.safetensors REFERENCE.safetensors [--bar STAGE=MAXABS ...]

Exits non-zero when a stage named in --bar exceeds its bar.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
from safetensors.numpy import load_file

from greenformer import STAGE_NAMES


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("engine")
    ap.add_argument("reference")
    ap.add_argument("--bar", action="append", default=[], help="STAGE=MAXABS")
    a = ap.parse_args(argv)
    got, want = load_file(a.engine), load_file(a.reference)
    bars = {k: float(v) for k, v in (b.split("=") for b in a.bar)}
    print("| stage | shape | max abs | mean abs | NMSE |")
    print("|---|---|---|---|---|")
    failed = []
    for name in STAGE_NAMES:
        if name not in got.keys():  # the refiner in bands never makes its full-size intermediates
            print(f"| {name} | | not made by the engine's plan | | |")
            continue
        g, w = got[name].astype(np.float64), want[name].astype(np.float64)
        if g.shape != w.shape:
            print(f"| {name} | {g.shape} vs {w.shape} | shape mismatch | | |")
            failed.append(name)
            continue
        d = np.abs(g - w)
        nmse = float(((g - w) ** 2).sum() / max((w ** 2).sum(), 1e-30))
        print(f"| {name} | {'x'.join(map(str, w.shape))} | {d.max():.2e} | {d.mean():.2e} | {nmse:.2e} |")
        if name in bars and d.max() > bars[name]:
            failed.append(name)
    share = float(((want["alpha_final"] > 0.02) & (want["alpha_final"] < 0.98)).mean())
    print(f"\nalpha_final share in (0.02, 0.98): {share:.3f}")
    if failed:
        print("beyond the bar: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
