"""A deterministic, realistic network input: a green-screen plate with a subject and a coarse
alpha hint, both in [0, 1], ImageNet-normalised as CorridorKey does before the network."""
from __future__ import annotations

import numpy as np

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def sample_plate_and_hint(size: int, seed: int = 7, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Returns plate (size, width, 3) sRGB in [0,1] and hint (size, width) in [0,1]; width
    defaults to size. Coordinates are normalised per axis, so a wide frame stretches the scene."""
    rng = np.random.default_rng(seed)
    width = width or size
    y, x = np.mgrid[0:size, 0:width].astype(np.float32)
    y, x = y / size, x / width
    # Unevenly lit green screen with sensor noise.
    light = 0.75 + 0.2 * np.sin(3.1 * x + 1.3) * np.cos(2.3 * y)
    plate = np.stack([0.12 * light, 0.72 * light, 0.22 * light], axis=-1)
    # Subject: a body ellipse and a head with fine, hair-like strands around it.
    body = ((x - 0.5) / 0.22) ** 2 + ((y - 0.78) / 0.3) ** 2 < 1.0
    head_r = np.hypot(x - 0.5, y - 0.36)
    head = head_r < 0.16
    angle = np.arctan2(y - 0.36, x - 0.5)
    strands = (head_r < 0.16 + 0.05 * (np.sin(angle * 40.0) > 0.6)) & ~head
    cloth = np.stack([0.55 + 0.2 * np.sin(20 * y), 0.25 + 0.1 * x, 0.3 + 0.2 * y], axis=-1)
    skin = np.stack([0.85 - 0.2 * y, 0.62 - 0.1 * y, 0.5 - 0.1 * x], axis=-1)
    hair = np.array([0.3, 0.25, 0.15], dtype=np.float32)
    plate = np.where(body[..., None], cloth, plate)
    plate = np.where(head[..., None], skin, plate)
    plate = np.where(strands[..., None], 0.5 * hair + 0.5 * plate, plate)  # green spills through hair
    plate = np.clip(plate + rng.normal(0.0, 0.02, plate.shape), 0.0, 1.0).astype(np.float32)
    # Hint: a coarse, blurry version of the subject, as a rough garbage matte would be.
    inside = (body | (head_r < 0.19)).astype(np.float32)
    k = max(1, size // 32)
    pad = np.pad(inside, k, mode="edge")
    hint = np.zeros_like(inside)
    for dy in range(-k, k + 1, max(1, k // 2)):
        for dx in range(-k, k + 1, max(1, k // 2)):
            hint += pad[k + dy:k + dy + size, k + dx:k + dx + width]
    hint /= hint.max()
    return plate, hint.astype(np.float32)


def network_input(plate: np.ndarray, hint: np.ndarray) -> np.ndarray:
    """(1, 4, S, S) float32: ImageNet-normalised RGB and the raw hint."""
    rgb = (plate - IMAGENET_MEAN) / IMAGENET_STD
    x = np.concatenate([rgb, hint[..., None]], axis=-1).transpose(2, 0, 1)[None]
    return np.ascontiguousarray(x, dtype=np.float32)
