"""Writes the full-size network's generated weights as an official-layout PyTorch checkpoint:
{"state_dict": {"_orig_mod." + name: tensor}}, BatchNorm num_batches_tracked included and
pos_embed on the 512 grid (the layout of CorridorKey_v1.0.pth, trained at S = 2048).

  python make_checkpoint.py OUT.pth [--seed N]
"""
from __future__ import annotations

import argparse
import sys

import torch

from greenformer_spec import GreenFormerConfig, weight_spec
from synthetic_weights import synthetic_state_dict


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    sd = synthetic_state_dict(weight_spec(GreenFormerConfig.base_plus(), 512), a.seed)
    official = {}
    for k, v in sd.items():
        official["_orig_mod." + k] = torch.from_numpy(v)
        if k.endswith("bn.running_var"):
            official["_orig_mod." + k.replace("running_var", "num_batches_tracked")] = torch.tensor(0)
    torch.save({"state_dict": official}, a.out)
    print(f"wrote {a.out}: {len(official)} tensors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
