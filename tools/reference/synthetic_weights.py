"""Deterministic synthetic GreenFormer weights, bit-identical to src/model/synthetic_weights.cpp.

Each tensor is a counter-based stream keyed by its name:
    z_i = splitmix64(fnv1a64(name) + seed + (i + 1) * phi)
    u_i = (z_i >> 40) * 2**-23 - 1            (exact in float32, in [-1, 1))
    value_i = offset + u_i * amplitude        (float32, two roundings, no fused multiply-add)
with offset and amplitude fixed per role (see role_params).
"""
from __future__ import annotations

import math

import numpy as np

from greenformer_spec import TensorSpec

PHI = np.uint64(0x9E3779B97F4A7C15)
MASK64 = (1 << 64) - 1


def fnv1a64(s: str) -> int:
    h = 0xCBF29CE484222325
    for c in s.encode():
        h ^= c
        h = (h * 0x100000001B3) & MASK64
    return h


def splitmix64(x: np.ndarray) -> np.ndarray:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def role_params(spec: TensorSpec) -> tuple[np.float32, np.float32]:
    role = spec.role
    if role == "pos_embed":
        return np.float32(0.0), np.float32(0.02)
    if role == "dense_weight":
        fan_in = math.prod(spec.shape) // spec.shape[0]
        # The refiner's output is multiplied by 10 in the network; a smaller kernel keeps the
        # final mattes away from saturation, as a trained refiner's small corrections are.
        gain = 0.1 if spec.name.endswith("refiner.final.weight") else 1.0
        return np.float32(0.0), np.float32(gain * math.sqrt(3.0 / fan_in))
    if role == "dense_bias":
        return np.float32(0.0), np.float32(0.02)
    if role == "norm_weight":
        return np.float32(1.0), np.float32(0.1)
    if role == "norm_bias":
        return np.float32(0.0), np.float32(0.05)
    if role == "bn_mean":
        return np.float32(0.0), np.float32(0.1)
    if role == "bn_var":
        return np.float32(1.0), np.float32(0.5)
    raise ValueError(f"unknown role {role}")


def synthetic_tensor(spec: TensorSpec, seed: int = 0) -> np.ndarray:
    offset, amplitude = role_params(spec)
    n = math.prod(spec.shape)
    base = np.uint64((fnv1a64(spec.name) + seed) & MASK64)
    with np.errstate(over="ignore"):
        counters = np.arange(1, n + 1, dtype=np.uint64) * PHI + base
        z = splitmix64(counters)
    u = (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-23) - np.float32(1.0)
    return (offset + u * amplitude).astype(np.float32).reshape(spec.shape)


def synthetic_state_dict(specs: list[TensorSpec], seed: int = 0) -> dict[str, np.ndarray]:
    return {s.name: synthetic_tensor(s, seed) for s in specs}
