"""Regenerates every committed test fixture under tests/fixtures (needs the reference harness).

  .venv-ref/bin/python tools/reference/make_fixtures.py

tiny/        tiny-config synthetic weights and stage tensors at S = 64 and 96
fullsize/    stage tensors of the full-size network (synthetic weights, pos_embed on the
             official 512 grid) at S = 256, and a probe of the synthetic generator's values
checkpoints/ loader inputs: an official-layout .pth (state_dict wrapper, _orig_mod. prefix,
             num_batches_tracked, a strided tensor), a plain .pth of nn.Parameters, the MLX
             port's layout, and a malicious pickle that tries to run a command
"""
from __future__ import annotations

import io
import os
import pickle
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

from dump_reference import build, run_stages, unsaturated_share
from greenformer_spec import GreenFormerConfig, weight_spec
from sample_inputs import network_input, sample_plate_and_hint
from synthetic_weights import synthetic_state_dict, synthetic_tensor

ROOT = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
TINY_POS_GRID = 32  # tiny weights "trained" at S = 128, resized like the official 512 grid
TINY_SEED = 5  # a draw whose tiny-network mattes are not saturated (seed 0 saturates at S = 64)
MALICIOUS_MARKER = "/tmp/corridorkey_malicious_pickle_ran"


def stages_fixture(config: str, size: int, pos_grid: int, seed: int, out: Path) -> None:
    model = build(config, size, None, pos_grid, seed)
    stages = run_stages(model, network_input(*sample_plate_and_hint(size)))
    save_file(stages, str(out))
    print(f"{out.relative_to(ROOT)}: alpha_final share in (0.02, 0.98) = {unsaturated_share(stages['alpha_final']):.3f}")


def generator_probe(out: Path) -> None:
    """First and last 64 values of every full-size tensor: enough to pin the generator."""
    probe = {}
    for spec in weight_spec(GreenFormerConfig.base_plus(), 512):
        flat = synthetic_tensor(spec).reshape(-1)
        probe[spec.name + "/head"] = np.ascontiguousarray(flat[:64])
        probe[spec.name + "/tail"] = np.ascontiguousarray(flat[-64:])
    save_file(probe, str(out))


class RunsACommand:
    """Pickles as a call to os.system: what a malicious checkpoint does."""

    def __reduce__(self):
        return (os.system, (f"touch {MALICIOUS_MARKER}",))


def malicious_pth(out: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps({"encoder.model.pos_embed": RunsACommand()}, protocol=2))
        z.writestr("archive/byteorder", "little")
    out.write_bytes(buf.getvalue())


def checkpoints(tiny_sd: dict[str, np.ndarray], out: Path) -> None:
    cfg = GreenFormerConfig.tiny()
    tensors = {k: torch.from_numpy(v.copy()) for k, v in tiny_sd.items()}
    # Official layout: {"state_dict": {"_orig_mod." + key: tensor}} with BatchNorm counters,
    # pos_embed stored as a strided (non-contiguous) view.
    official = OrderedDict()
    for k, v in tensors.items():
        if k == "encoder.model.pos_embed":
            v = v.transpose(1, 2).contiguous().transpose(1, 2)
        official["_orig_mod." + k] = v
        if k.endswith("bn.running_var"):
            official["_orig_mod." + k.replace("running_var", "num_batches_tracked")] = torch.tensor(1234)
    torch.save({"state_dict": official, "epoch": 7, "lr": 1e-4, "note": "tiny"}, out / "tiny_official.pth")
    # Plain: the state dict itself, as nn.Parameters (exercises _rebuild_parameter).
    plain = OrderedDict((k, torch.nn.Parameter(v.clone(), requires_grad=False)) for k, v in tensors.items())
    torch.save(plain, out / "tiny_plain.pth")
    # MLX port: stem renamed, conv kernels OHWI, refiner in bfloat16.
    import ml_dtypes_free_bf16 as bf16  # local helper: numpy has no bfloat16
    mlx = {}
    for k, v in tiny_sd.items():
        k2 = k.replace("refiner.stem.0.", "refiner.stem_conv.").replace("refiner.stem.1.", "refiner.stem_gn.")
        a = np.ascontiguousarray(v.transpose(0, 2, 3, 1)) if v.ndim == 4 else v
        mlx[k2] = a
    bf16.save_with_bf16(mlx, [k for k in mlx if k.startswith("refiner.")], out / "tiny_mlx.safetensors")
    malicious_pth(out / "malicious.pth")
    del cfg


def main() -> int:
    torch.manual_seed(0)
    for d in ("tiny", "fullsize", "checkpoints"):
        (ROOT / d).mkdir(parents=True, exist_ok=True)
    tiny_sd = synthetic_state_dict(weight_spec(GreenFormerConfig.tiny(), TINY_POS_GRID), TINY_SEED)
    save_file(tiny_sd, str(ROOT / "tiny" / "weights.safetensors"),
              metadata={"synthetic_seed": str(TINY_SEED), "pos_grid": str(TINY_POS_GRID)})
    for size in (64, 96):
        stages_fixture("tiny", size, TINY_POS_GRID, TINY_SEED, ROOT / "tiny" / f"stages_s{size}.safetensors")
    stages_fixture("base_plus", 256, 512, 0, ROOT / "fullsize" / "stages_s256.safetensors")
    generator_probe(ROOT / "fullsize" / "synthetic_probe.safetensors")
    checkpoints(tiny_sd, ROOT / "checkpoints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
