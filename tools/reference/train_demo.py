"""Trains the bundled demo model: GreenFormer at a small configuration (DEMO_CONFIG) on the
synthetic plates of `corridorkey synth`, with the hints a user draws (the clips' AlphaHint/)
and automatic hints (`corridorkey hint`, in AutoHint/) in equal measure. Deterministic for a
seed (one thread order aside). Writes the official checkpoint layout; `corridorkey convert`
makes the committed safetensors. scripts/train-demo-model.sh runs the whole recipe.

  python train_demo.py DATA OUT.pth [--steps 3000] [--batch 8] [--lr 2e-3] [--seed 0]
"""
from __future__ import annotations

import argparse
import glob
import math
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from greenformer import GreenFormer
from greenformer_spec import GreenFormerConfig
from sample_inputs import IMAGENET_MEAN, IMAGENET_STD

# Small enough to commit (about 1.5 M parameters), large enough to key simple plates.
DEMO_CONFIG = GreenFormerConfig(embed_dim=24, num_heads=1, stages=(1, 2, 3, 2), decoder_dim=64,
                                refiner_channels=16, refiner_groups=8)


def read_png(path: str) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise OSError(f"cannot read {path}")
    scale = 65535.0 if image.dtype == np.uint16 else 255.0
    image = image.astype(np.float32) / scale
    return image[..., ::-1].copy() if image.ndim == 3 else image  # BGR -> RGB


def load_shots(data: str) -> list[dict[str, np.ndarray]]:
    """Every frame of every clip under DATA: plate, true alpha and foreground, hints."""
    samples = []
    for clip in sorted(glob.glob(os.path.join(data, "*", ""))):
        for plate_path in sorted(glob.glob(os.path.join(clip, "Input", "*.png"))):
            name = os.path.basename(plate_path)
            hints = [read_png(os.path.join(clip, folder, name)) for folder in ("AlphaHint", "AutoHint")
                     if os.path.exists(os.path.join(clip, folder, name))]
            samples.append({"plate": read_png(plate_path),
                            "alpha": read_png(os.path.join(clip, "Truth", "Alpha", name)),
                            "fg": read_png(os.path.join(clip, "Truth", "FG", name)),
                            "hints": hints})
    if not samples:
        raise SystemExit(f"no clips with Input/ and Truth/ under {data} (make them with `corridorkey synth`)")
    return samples


def batch_of(samples, rng: np.random.Generator, size: int):
    xs, alphas, fgs = [], [], []
    for i in rng.integers(0, len(samples), size):
        s = samples[i]
        hint = s["hints"][rng.integers(0, len(s["hints"]))]
        plate, alpha, fg = s["plate"], s["alpha"], s["fg"]
        if rng.random() < 0.5:  # mirror
            plate, alpha, fg, hint = plate[:, ::-1], alpha[:, ::-1], fg[:, ::-1], hint[:, ::-1]
        rgb = (plate - IMAGENET_MEAN) / IMAGENET_STD
        xs.append(np.concatenate([rgb, hint[..., None]], axis=-1).transpose(2, 0, 1))
        alphas.append(alpha[None])
        fgs.append(fg.transpose(2, 0, 1))
    as_tensor = lambda a: torch.from_numpy(np.ascontiguousarray(np.stack(a), dtype=np.float32))  # noqa: E731
    return as_tensor(xs), as_tensor(alphas), as_tensor(fgs)


def forward(model: GreenFormer, x: torch.Tensor):
    """GreenFormer.forward_stages with gradients: final and coarse alpha and foreground."""
    feats = model.encoder(x)
    size = x.shape[2:]
    alpha_up = F.interpolate(model.alpha_decoder(feats), size=size, mode="bilinear", align_corners=False)
    fg_up = F.interpolate(model.fg_decoder(feats), size=size, mode="bilinear", align_corners=False)
    alpha_coarse, fg_coarse = torch.sigmoid(alpha_up), torch.sigmoid(fg_up)
    delta = model.refiner(x[:, :3], torch.cat([alpha_coarse, fg_coarse], dim=1))
    return torch.sigmoid(alpha_up + delta[:, 0:1]), torch.sigmoid(fg_up + delta[:, 1:4]), alpha_coarse, fg_coarse


def loss_of(alpha, fg, alpha_true, fg_true):
    """L1 on alpha plus L1 on the foreground where the subject is."""
    weight = (alpha_true > 0).float()
    fg_l1 = ((fg - fg_true).abs() * weight).sum() / (3 * weight.sum() + 1)
    return F.l1_loss(alpha, alpha_true) + fg_l1


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args(argv)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    samples = load_shots(a.data)
    size = samples[0]["plate"].shape[0]
    print(f"{len(samples)} plates of {size}x{size}; config {DEMO_CONFIG}", flush=True)
    model = GreenFormer(DEMO_CONFIG, size)
    print(f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters", flush=True)
    optimiser = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * step / a.steps)))
    model.train()
    start = time.time()
    running = 0.0
    for step in range(a.steps):
        x, alpha_true, fg_true = batch_of(samples, rng, a.batch)
        alpha, fg, alpha_coarse, fg_coarse = forward(model, x)
        loss = loss_of(alpha, fg, alpha_true, fg_true) + 0.5 * loss_of(alpha_coarse, fg_coarse, alpha_true, fg_true)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running += loss.item()
        if (step + 1) % 100 == 0:
            print(f"step {step + 1}/{a.steps}: loss {running / 100:.4f}, {time.time() - start:.0f} s", flush=True)
            running = 0.0
    model.eval()
    state = {}
    for k, v in model.state_dict().items():
        state["_orig_mod." + k] = v.detach().clone()
    torch.save({"state_dict": state}, a.out)
    print(f"wrote {a.out} after {a.steps} steps in {time.time() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
