"""CorridorKey's process_frame around the reference network, with the libraries the original
uses for each step: torchvision's antialiased bilinear to S x S, OpenCV's Lanczos4 back to the
plate's size, OpenCV's connected components, elliptical dilation and Gaussian blur for the
despeckle, and the original's numpy colour math (despill, sRGB, premultiply, checkerboard).
All arrays are float32 H x W (x C)."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from sample_inputs import network_input


@dataclass
class FrameOptions:
    refiner_scale: float = 1.0
    input_is_linear: bool = False
    despill_strength: float = 1.0
    auto_despeckle: bool = True
    despeckle_size: int = 400
    generate_comp: bool = True


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, None)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1.0 / 2.4) - 0.055).astype(np.float32)


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, None)
    return np.where(x <= 0.04045, x / 12.92, np.power((x + 0.055) / 1.055, 2.4)).astype(np.float32)


def resize_antialiased(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """torchvision / F.interpolate bilinear, antialias=True, align_corners=False."""
    chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
    t = torch.from_numpy(np.ascontiguousarray(chw, dtype=np.float32))[None]
    out = F.interpolate(t, size=(height, width), mode="bilinear", align_corners=False, antialias=True)[0].numpy()
    return out[0] if img.ndim == 2 else out.transpose(1, 2, 0)


def resize_lanczos(img: np.ndarray, height: int, width: int) -> np.ndarray:
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_LANCZOS4)


def keep_large_components(mask_8u: np.ndarray, min_area: int) -> np.ndarray:
    num, labels, stats, _ = cv2.connectedComponentsWithStats(mask_8u, connectivity=8)
    keep = np.zeros(num, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def dilate_ellipse(mask_8u: np.ndarray, radius: int) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask_8u, k)


def gaussian_blur(mask_8u: np.ndarray, radius: int) -> np.ndarray:
    return cv2.GaussianBlur(mask_8u, (2 * radius + 1, 2 * radius + 1), 0)


def clean_matte(alpha: np.ndarray, min_area: int, dilation: int = 25, blur: int = 5) -> np.ndarray:
    mask = ((alpha > 0.5).astype(np.uint8) * 255)
    mask = keep_large_components(mask, min_area)
    mask = dilate_ellipse(mask, dilation)
    mask = gaussian_blur(mask, blur)
    return (alpha * (mask.astype(np.float32) / 255.0)).astype(np.float32)


def despill(fg: np.ndarray, strength: float) -> np.ndarray:
    r, g, b = fg[..., 0], fg[..., 1], fg[..., 2]
    spill = np.maximum(g - (r + b) / 2.0, 0.0)
    out = np.stack([r + spill * 0.5, g - spill, b + spill * 0.5], axis=-1)
    return ((1.0 - strength) * fg + strength * out).astype(np.float32)


def checkerboard(height: int, width: int, size: int = 128) -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(width) // size, np.arange(height) // size)
    bg = np.where((xs + ys) % 2 == 0, 0.15, 0.55).astype(np.float32)
    return np.stack([bg] * 3, axis=-1)


def composite(fg_linear: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    bg = srgb_to_linear(checkerboard(*alpha.shape))
    a = alpha[..., None]
    return linear_to_srgb(fg_linear * a + bg * (1.0 - a))


def network_planes(plate: np.ndarray, hint: np.ndarray, size: int, input_is_linear: bool) -> tuple[np.ndarray, np.ndarray]:
    rgb = resize_antialiased(plate, size, size)
    if input_is_linear:
        rgb = linear_to_srgb(rgb)
    return rgb, resize_antialiased(hint, size, size)


def postprocess(alpha_s: np.ndarray, fg_s: np.ndarray, height: int, width: int, o: FrameOptions) -> dict[str, np.ndarray]:
    alpha = resize_lanczos(alpha_s, height, width)
    fg = resize_lanczos(fg_s, height, width)
    clean = clean_matte(alpha, o.despeckle_size) if o.auto_despeckle else alpha
    fg_linear = srgb_to_linear(despill(fg, o.despill_strength))
    out = {"alpha": alpha, "fg": fg,
           "processed": np.concatenate([fg_linear * clean[..., None], clean[..., None]], axis=-1).astype(np.float32)}
    if o.generate_comp:
        out["comp"] = composite(fg_linear, clean)
    return out


def process_frame(model, plate: np.ndarray, hint: np.ndarray, size: int, o: FrameOptions) -> dict[str, np.ndarray]:
    """plate H x W x 3, hint H x W (resized to the plate when its size differs)."""
    h, w = plate.shape[:2]
    if hint.shape != (h, w):
        hint = resize_antialiased(hint, h, w)
    rgb, hint_s = network_planes(plate, hint, size, o.input_is_linear)
    stages = model.forward_stages(torch.from_numpy(network_input(rgb, hint_s)), o.refiner_scale)
    alpha_s = stages["alpha_final"][0, 0].numpy()
    fg_s = stages["fg_final"][0].numpy().transpose(1, 2, 0)
    return postprocess(np.ascontiguousarray(alpha_s), np.ascontiguousarray(fg_s), h, w, o)
