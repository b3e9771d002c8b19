"""Largest difference between two safetensors files of float32 tensors (same names):
  compare_tensors.py A B TOLERANCE   (exit 1 above the tolerance)"""
import json
import struct
import sys
from array import array


def load(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (path, name, info["dtype"])
        start, end = info["data_offsets"]
        values = array("f")
        values.frombytes(data[8 + n + start:8 + n + end])
        tensors[name] = values
    return tensors


a, b, tolerance = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
if sorted(a) != sorted(b):
    sys.exit(f"different tensors: {sorted(a)} against {sorted(b)}")
worst = 0.0
for name in a:
    if len(a[name]) != len(b[name]):
        sys.exit(f"{name}: {len(a[name])} against {len(b[name])} values")
    diff = max((abs(x - y) for x, y in zip(a[name], b[name])), default=0.0)
    print(f"  {name:32s} max abs diff {diff:.3g}")
    worst = max(worst, diff)
print(f"{len(a)} tensors, largest difference {worst:.3g} (tolerance {tolerance:g})")
sys.exit(1 if worst > tolerance or worst != worst else 0)
