"""Runs the PyTorch GreenFormer and writes every stage tensor as safetensors (float32, NCHW).

  python dump_reference.py --config base_plus --img-size 512 --out stages.safetensors
  python dump_reference.py --checkpoint CorridorKey_v1.0.pth --img-size 1024 --out stages.safetensors
  python dump_reference.py --config tiny --img-size 64 --input input.safetensors --out stages.safetensors

Weights: --checkpoint (a .pth or safetensors state dict, any layout CorridorKey accepts) or
the synthetic generator (--config, --pos-grid, --seed). Input: --input (a safetensors with an
`input` tensor) or the built-in sample plate and hint.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

from greenformer import STAGE_NAMES, GreenFormer, canonical_state_dict, load_weights
from greenformer_spec import GreenFormerConfig, weight_spec
from sample_inputs import network_input, sample_plate_and_hint
from synthetic_weights import synthetic_state_dict

CONFIGS = {"base_plus": GreenFormerConfig.base_plus, "tiny": GreenFormerConfig.tiny}


def build(config: str, img_size: int, checkpoint: str | None, pos_grid: int, seed: int) -> GreenFormer:
    cfg = CONFIGS[config]()
    model = GreenFormer(cfg, img_size)
    if checkpoint:
        if checkpoint.endswith(".safetensors"):
            sd = {k: torch.from_numpy(v) for k, v in load_file(checkpoint).items()}
        else:
            sd = torch.load(checkpoint, map_location="cpu")
        sd = canonical_state_dict(sd)
    else:
        sd = {k: torch.from_numpy(v) for k, v in synthetic_state_dict(weight_spec(cfg, pos_grid), seed).items()}
    load_weights(model, sd)
    return model


def run_stages(model: GreenFormer, x: np.ndarray) -> dict[str, np.ndarray]:
    torch.set_num_threads(max(1, torch.get_num_threads()))
    stages = model.forward_stages(torch.from_numpy(x))
    return {k: stages[k].numpy().astype(np.float32) for k in STAGE_NAMES}


def unsaturated_share(alpha: np.ndarray) -> float:
    return float(((alpha > 0.02) & (alpha < 0.98)).mean())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=sorted(CONFIGS), default="base_plus")
    ap.add_argument("--img-size", type=int, default=512)
    ap.add_argument("--checkpoint")
    ap.add_argument("--pos-grid", type=int, default=512, help="synthetic pos_embed grid (official: 512)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--input", help="safetensors holding `input` (1, 4, S, S)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.img_size % 32:
        ap.error("--img-size must be a multiple of 32")
    model = build(a.config, a.img_size, a.checkpoint, a.pos_grid, a.seed)
    x = load_file(a.input)["input"] if a.input else network_input(*sample_plate_and_hint(a.img_size))
    t0 = time.perf_counter()
    stages = run_stages(model, x)
    dt = time.perf_counter() - t0
    save_file(stages, a.out)
    print(f"wrote {a.out}: {len(stages)} stages at S={a.img_size} in {dt:.2f} s; "
          f"alpha_final share in (0.02, 0.98): {unsaturated_share(stages['alpha_final']):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
