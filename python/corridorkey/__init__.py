"""corridorkey: the native CorridorKey engine with the original engine's Python contract.

    from corridorkey import CorridorKeyEngine
    engine = CorridorKeyEngine("CorridorKey_v1.0.pth", img_size=2048)
    result = engine.process_frame(image, mask_linear)   # numpy in, dict of float32 arrays out

`CorridorKeyMLXEngine` offers the MLX port's contract (uint8 in and out) for its users.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Dict, List, Optional, Union

import numpy as np

from . import _corridorkey

__version__: str = _corridorkey.__version__
__all__ = ["CorridorKeyEngine", "CorridorKeyMLXEngine", "read_image", "write_image", "find_checkpoint",
           "download_weights", "__version__"]

Frame = Dict[str, np.ndarray]


def find_checkpoint(checkpoint_path: Optional[str] = None) -> Optional[str]:
    """The weights to use: the path given, else $CORRIDORKEY_CHECKPOINT, else the weights in the
    download cache (`corridorkey weights download`, download_weights()), else None."""
    if checkpoint_path:
        return os.fspath(checkpoint_path)
    env = os.environ.get("CORRIDORKEY_CHECKPOINT")
    return env or _corridorkey.cached_weights()


def download_weights(name: str = "official", url: Optional[str] = None, cache_dir: Optional[str] = None,
                     force: bool = False) -> str:
    """Downloads weights into the per-user cache unless a verified copy is there; returns its path.

    name: "official" (CorridorKey_v1.0.pth from Hugging Face) or "safetensors" (the converted
    release asset); url: a file on any server instead, verified against URL.sha256. The same
    cache, checksums, resume and environment overrides as `corridorkey weights download`.
    """
    return _corridorkey.download_weights(name, url or "", os.fspath(cache_dir) if cache_dir else "", force)


def read_image(path: Union[str, os.PathLike]) -> np.ndarray:
    """An image file (PNG, JPEG, TIFF, EXR, DPX) as float32 H x W x C, or H x W for one channel."""
    return _corridorkey.read_image(os.fspath(path))


def write_image(path: Union[str, os.PathLike], image: np.ndarray, format: str = "uint8") -> None:
    """Writes float32 pixels (format: uint8, uint16, half or float samples), complete or not at all."""
    _corridorkey.write_image(os.fspath(path), np.ascontiguousarray(image, dtype=np.float32), format)


def _pixels(array: Any, name: str, channels: Optional[int]) -> np.ndarray:
    """A frame's pixels as the engine takes them, copied only when their layout needs it."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, not {type(array).__name__}")
    if array.dtype not in (np.uint8, np.uint16, np.float32):
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        else:
            raise TypeError(f"{name} must be uint8, uint16 or float32, not {array.dtype}")
    if channels == 3 and (array.ndim != 3 or array.shape[2] != 3):
        raise ValueError(f"{name} must be H x W x 3 RGB, not shape {array.shape}")
    if channels == 1:
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        if array.ndim != 2:
            raise ValueError(f"{name} must be H x W or H x W x 1, not shape {array.shape}")
    if array.strides[-1] != array.itemsize or (array.ndim == 3 and array.strides[1] != array.itemsize * array.shape[2]):
        array = np.ascontiguousarray(array)
    return array


class CorridorKeyEngine:
    """The original CorridorKey engine's contract, on the native engine.

    device: "cpu" (this build has no GPU backend; anything else is refused).
    threads: CPU threads for this engine (None: OMP_NUM_THREADS, else every core).
    precision: "fp32" (matches PyTorch) or "bf16" (CPUs with AVX512-BF16).
    max_memory_mb: a budget for the weights and a frame's tensors; the refiner then runs in
        bands of rows (exact, slower). A budget no plan meets raises ValueError naming the least.
    tile_size, tile_overlap: tiled inference, an approximation: the network at tile_size on
        overlapping tiles of the img_size input, blended.
    """

    def __init__(self, checkpoint_path: Optional[str], device: str = "cpu", img_size: int = 2048,
                 use_refiner: bool = True, precision: str = "fp32", threads: Optional[int] = None,
                 backend: str = "cpu", max_memory_mb: Optional[int] = None, tile_size: Optional[int] = None,
                 tile_overlap: int = 64) -> None:
        if device not in ("cpu",):
            raise ValueError(f"device {device!r} is not available: this build of corridorkey runs on the CPU (device='cpu')")
        path = find_checkpoint(checkpoint_path)
        if path is None:
            raise ValueError("no checkpoint: pass checkpoint_path, set CORRIDORKEY_CHECKPOINT, or download the official "
                             "weights with corridorkey.download_weights() (or `corridorkey weights download`)")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        self.device = device
        self.img_size = img_size
        if max_memory_mb is not None and max_memory_mb < 1:
            raise ValueError(f"max_memory_mb must be at least 1, not {max_memory_mb}")
        self._engine = _corridorkey.Engine(path, img_size, backend, threads or 0, use_refiner, precision,
                                           max_memory_mb or 0, tile_size or 0, tile_overlap)
        self._warned_gpu_post = False

    def process_frame(self, image: np.ndarray, mask_linear: np.ndarray, refiner_scale: float = 1.0,
                      input_is_linear: bool = False, fg_is_straight: bool = True, despill_strength: float = 1.0,
                      auto_despeckle: bool = True, despeckle_size: int = 400, generate_comp: bool = True,
                      post_process_on_gpu: bool = True) -> Union[Frame, List[Frame]]:
        """Keys one frame (H x W x 3) or a batch (B x H x W x 3, returning a list).

        image: uint8 (0-255) or float32 (0-1; linear with input_is_linear) RGB.
        mask_linear: the coarse alpha hint, H x W or H x W x 1 (B x ... for a batch).
        Returns float32 arrays: alpha H x W x 1 (linear), fg H x W x 3 (straight, sRGB),
        comp H x W x 3 (sRGB, over a checkerboard) and processed H x W x 4 (linear, premultiplied RGBA).
        """
        if not fg_is_straight:
            raise ValueError("fg_is_straight=False is not supported: the network's foreground is straight colour")
        if post_process_on_gpu and not self._warned_gpu_post:
            warnings.warn("post_process_on_gpu: this engine post-processes on the CPU", RuntimeWarning, stacklevel=2)
            self._warned_gpu_post = True
        if isinstance(image, np.ndarray) and image.ndim == 4:
            masks = mask_linear if isinstance(mask_linear, np.ndarray) else None
            if masks is None or masks.shape[0] != image.shape[0]:
                raise ValueError("a batch of images needs a batch of masks of the same length")
            return [self.process_frame(image[i], masks[i], refiner_scale, input_is_linear, fg_is_straight,
                                       despill_strength, auto_despeckle, despeckle_size, generate_comp, False)
                    for i in range(image.shape[0])]
        plate = _pixels(image, "image", 3)
        hint = _pixels(mask_linear, "mask_linear", 1)
        alpha, fg, processed, comp, notes = self._engine.process(plate, hint, float(refiner_scale),
                                                                 bool(input_is_linear), float(despill_strength),
                                                                 bool(auto_despeckle), int(despeckle_size),
                                                                 bool(generate_comp))
        for note in notes:
            warnings.warn(note, RuntimeWarning, stacklevel=2)
        result: Frame = {"alpha": alpha, "fg": fg, "processed": processed}
        if comp is not None:
            result["comp"] = comp
        return result


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.maximum(x, 0.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1.0 / 2.4) - 0.055).astype(np.float32)


class CorridorKeyMLXEngine:
    """The MLX port's engine contract (uint8 in and out), on the native engine.

    process_frame(rgb_uint8, mask_uint8) returns uint8 arrays: alpha H x W, fg H x W x 3,
    processed H x W x 3 (the despilled, despeckled foreground, straight, sRGB) and comp
    H x W x 3 (that foreground over black). `compile` is accepted for compatibility; the
    native engine has nothing to compile.
    """

    def __init__(self, checkpoint_path: Optional[str], img_size: int = 2048, use_refiner: bool = True,
                 compile: bool = True, threads: Optional[int] = None) -> None:
        self._engine = CorridorKeyEngine(checkpoint_path, img_size=img_size, use_refiner=use_refiner, threads=threads)
        self.img_size = img_size

    def process_frame(self, image: np.ndarray, mask: np.ndarray, refiner_scale: float = 1.0,
                      despill_strength: float = 1.0, auto_despeckle: bool = True, despeckle_size: int = 400) -> Frame:
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
            raise TypeError("image must be a uint8 numpy array (H x W x 3, sRGB)")
        if not isinstance(mask, np.ndarray) or mask.dtype != np.uint8:
            raise TypeError("mask must be a uint8 numpy array (H x W or H x W x 1)")
        r = self._engine.process_frame(image, mask, refiner_scale=refiner_scale, despill_strength=despill_strength,
                                       auto_despeckle=auto_despeckle, despeckle_size=despeckle_size,
                                       generate_comp=False, post_process_on_gpu=False)
        processed = r["processed"]
        a = processed[:, :, 3:4]
        straight = np.where(a > 1e-6, processed[:, :, :3] / np.maximum(a, 1e-6), 0.0)
        return {
            "alpha": _to_uint8(r["alpha"][:, :, 0]),
            "fg": _to_uint8(r["fg"]),
            "processed": _to_uint8(_linear_to_srgb(straight)),
            "comp": _to_uint8(_linear_to_srgb(processed[:, :, :3])),
        }
