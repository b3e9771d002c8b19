"""Regenerates the frame-pipeline fixtures under tests/fixtures/pipeline (needs the reference
harness with OpenCV: scripts/setup-reference.sh).

  .venv-ref/bin/python tools/reference/make_pipeline_fixtures.py

steps.safetensors   each step on its own: sRGB transfer functions, antialiased bilinear and
                    Lanczos4 resizes (down and up, non-square), despill, the three despeckle
                    steps and the whole despeckle, the checkerboard composite
frame_*.safetensors whole frames through the tiny network (tiny/weights.safetensors): the
                    plate and hint given to process_frame, its options (metadata) and its four
                    outputs
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

import pipeline as P
from dump_reference import build
from sample_inputs import sample_plate_and_hint

ROOT = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def steps(out: Path) -> None:
    rng = np.random.default_rng(3)
    t: dict[str, np.ndarray] = {}
    x = np.linspace(-0.25, 1.75, 2001, dtype=np.float32)  # negatives clamp, HDR passes through
    t["colour/x"] = x
    t["colour/linear_to_srgb"] = P.linear_to_srgb(x)
    t["colour/srgb_to_linear"] = P.srgb_to_linear(x)

    img = rng.random((61, 97, 3), dtype=np.float32)
    t["resize/src"] = img
    t["resize/aa_down_40x23"] = P.resize_antialiased(img, 23, 40)
    t["resize/aa_up_150x90"] = P.resize_antialiased(img, 90, 150)
    t["resize/aa_mixed_64x128"] = P.resize_antialiased(img, 128, 64)
    t["resize/lanczos_up_150x90"] = P.resize_lanczos(img, 90, 150)
    t["resize/lanczos_down_40x23"] = P.resize_lanczos(img, 23, 40)
    t["resize/lanczos_mixed_64x128"] = P.resize_lanczos(img, 128, 64)

    fg = rng.random((40, 50, 3), dtype=np.float32)
    t["despill/src"] = fg
    t["despill/strength_1"] = P.despill(fg, 1.0)
    t["despill/strength_0.3"] = P.despill(fg, 0.3)

    # A matte with islands of many sizes, holes, diagonal-only contacts and soft edges.
    h, w = 150, 200
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    alpha = np.clip(1.2 - np.hypot((xx - 70) / 40, (yy - 80) / 50), 0, 1)
    alpha = np.maximum(alpha, (rng.random((h, w)) > 0.985).astype(np.float32) * 0.9)
    alpha[10:16, 150:156] = 0.8
    alpha[30:50, 160:190] = 0.7
    alpha[100, 150] = alpha[101, 151] = alpha[102, 152] = 0.95
    alpha[70:75, 60:65] = 0.0
    alpha = alpha.astype(np.float32)
    t["despeckle/alpha"] = alpha
    mask = (alpha > 0.5).astype(np.uint8) * 255
    kept = P.keep_large_components(mask, 30)
    dilated = P.dilate_ellipse(kept, 25)
    blurred = P.gaussian_blur(dilated, 5)
    t["despeckle/kept_30"] = kept.astype(np.float32)
    t["despeckle/dilated"] = dilated.astype(np.float32)
    t["despeckle/blurred"] = blurred.astype(np.float32)
    t["despeckle/clean_30"] = P.clean_matte(alpha, 30)
    t["despeckle/clean_400"] = P.clean_matte(alpha, 400)

    fg_lin = rng.random((300, 260, 3), dtype=np.float32)
    a = rng.random((300, 260), dtype=np.float32)
    t["composite/fg_linear"] = fg_lin
    t["composite/alpha"] = a
    t["composite/comp"] = P.composite(fg_lin, a)
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in t.items()}, str(out))
    print(f"wrote {out}")


def frame(out: Path, size: int, width: int, height: int, o: P.FrameOptions, hint_scale: int = 1) -> None:
    model = build("tiny", size, str(ROOT / "tiny" / "weights.safetensors"), 0, 0)
    plate, hint = sample_plate_and_hint(height, seed=11, width=width)
    if o.input_is_linear:
        plate = P.srgb_to_linear(plate) * 1.5  # scene-linear, with values above 1
    hint = hint[::hint_scale, ::hint_scale].copy()
    outputs = P.process_frame(model, plate, hint, size, o)
    tensors = {"plate": plate, "hint": hint, **outputs}
    meta = {k: str(v) for k, v in vars(o).items()} | {"img_size": str(size)}
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, str(out), metadata=meta)
    share = float(((outputs["alpha"] > 0.02) & (outputs["alpha"] < 0.98)).mean())
    print(f"wrote {out}: alpha share in (0.02, 0.98) = {share:.3f}")


def main() -> int:
    d = ROOT / "pipeline"
    d.mkdir(parents=True, exist_ok=True)
    steps(d / "steps.safetensors")
    # Downscale to S, Lanczos up; defaults.
    frame(d / "frame_320x180_s128.safetensors", 128, 320, 180, P.FrameOptions(despeckle_size=40))
    # Upscale to S, Lanczos down; linear HDR plate, half-size hint, every option moved.
    frame(d / "frame_224x160_s256_linear.safetensors", 256, 224, 160,
          P.FrameOptions(refiner_scale=0.6, input_is_linear=True, despill_strength=0.5, despeckle_size=30),
          hint_scale=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
