"""Writes the bundled sample plate and hint (samples/plate.png, samples/hint.png): the
harness's synthetic green-screen frame at 960x540, 8-bit.

  .venv-ref/bin/python tools/reference/make_sample.py
"""
from pathlib import Path

import numpy as np
from PIL import Image

from sample_inputs import sample_plate_and_hint

OUT = Path(__file__).resolve().parents[2] / "samples"


def to_8bit(a: np.ndarray) -> np.ndarray:
    return np.round(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    plate, hint = sample_plate_and_hint(540, width=960)
    Image.fromarray(to_8bit(plate), "RGB").save(OUT / "plate.png")
    Image.fromarray(to_8bit(hint), "L").save(OUT / "hint.png")
    print(f"wrote {OUT / 'plate.png'} and {OUT / 'hint.png'}")


if __name__ == "__main__":
    main()
