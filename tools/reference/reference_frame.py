"""Keys one frame with the reference pipeline (pipeline.process_frame) and writes the plate,
hint and the four outputs (alpha, fg, processed, comp; float32 H x W x C) as safetensors.
Optionally writes a synthetic 8-bit plate and hint first.

  python reference_frame.py --make-sample 1920x1080 --plate plate.png --hint hint.png
  python reference_frame.py --checkpoint W.pth --plate plate.png --hint hint.png --img-size 512 --out ref.safetensors
"""
from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np
from safetensors.numpy import save_file

import pipeline as P
from dump_reference import build
from sample_inputs import sample_plate_and_hint


def read(path: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise SystemExit(f"cannot read {path}")
    scale = 65535.0 if img.dtype == np.uint16 else 255.0 if img.dtype == np.uint8 else 1.0
    img = img.astype(np.float32) / scale
    return img[..., ::-1].copy() if img.ndim == 3 else img  # OpenCV reads BGR


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plate", required=True)
    ap.add_argument("--hint", required=True)
    ap.add_argument("--make-sample", metavar="WxH")
    ap.add_argument("--checkpoint")
    ap.add_argument("--img-size", type=int, default=512)
    ap.add_argument("--out")
    ap.add_argument("--refiner-scale", type=float, default=1.0)
    ap.add_argument("--linear", action="store_true")
    ap.add_argument("--despill", type=float, default=1.0)
    ap.add_argument("--no-despeckle", action="store_true")
    ap.add_argument("--despeckle-size", type=int, default=400)
    a = ap.parse_args(argv)
    if a.make_sample:
        w, h = map(int, a.make_sample.split("x"))
        plate, hint = sample_plate_and_hint(h, width=w)
        cv2.imwrite(a.plate, np.round(np.clip(plate[..., ::-1], 0, 1) * 255).astype(np.uint8))
        cv2.imwrite(a.hint, np.round(np.clip(hint, 0, 1) * 255).astype(np.uint8))
        print(f"wrote {a.plate} and {a.hint} ({w}x{h})")
        return 0
    if not (a.checkpoint and a.out):
        ap.error("--checkpoint and --out are needed to key a frame")
    plate, hint = read(a.plate), read(a.hint)
    hint = hint[..., 0] if hint.ndim == 3 else hint
    model = build("base_plus", a.img_size, a.checkpoint, 512, 0)
    o = P.FrameOptions(refiner_scale=a.refiner_scale, input_is_linear=a.linear, despill_strength=a.despill,
                       auto_despeckle=not a.no_despeckle, despeckle_size=a.despeckle_size)
    out = P.process_frame(model, plate, hint, a.img_size, o)
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in {"plate": plate, "hint": hint, **out}.items()},
              a.out, metadata={k: str(v) for k, v in vars(o).items()} | {"img_size": str(a.img_size)})
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
