"""Writes safetensors with some tensors in bfloat16 without needing ml_dtypes: the bf16 bits
(round-to-nearest-even of the float32) are written by hand into the safetensors layout."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np


def to_bf16_bits(a: np.ndarray) -> np.ndarray:
    u = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def save_with_bf16(tensors: dict[str, np.ndarray], bf16_names: list[str], path: Path) -> None:
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if name in bf16_names:
            data, dtype = to_bf16_bits(a).tobytes(), "BF16"
        else:
            data, dtype = a.astype(np.float32).tobytes(), "F32"
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
