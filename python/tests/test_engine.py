"""The Python engine: the original's contract (shapes, dtypes, ranges), the same results as
the C++ engine and the reference harness, threads, and clear errors."""

import json
import os
import struct
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

import corridorkey

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
TINY = str(FIXTURES / "checkpoints" / "tiny_official.pth")
TINY_SAFETENSORS = str(FIXTURES / "tiny" / "weights.safetensors")
SAMPLES = ROOT / "samples"


def read_safetensors(path):
    """Tensors and metadata of a safetensors file (float32 tensors only), with numpy alone."""
    data = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[base + start:base + end], dtype=np.float32).reshape(info["shape"])
    return tensors, header.get("__metadata__", {})


@pytest.fixture(scope="module")
def engine():
    return corridorkey.CorridorKeyEngine(TINY, img_size=64)


@pytest.fixture(scope="module")
def sample():
    plate = corridorkey.read_image(SAMPLES / "plate.png")
    hint = corridorkey.read_image(SAMPLES / "hint.png")
    return plate, hint if hint.ndim == 2 else hint[:, :, 0]


def test_shapes_dtypes_and_ranges(engine, sample):
    plate, hint = sample
    h, w = plate.shape[:2]
    with pytest.warns(RuntimeWarning, match="post_process_on_gpu"):
        r = engine.process_frame((plate * 255).round().astype(np.uint8), (hint * 255).round().astype(np.uint8))
    assert set(r) == {"alpha", "fg", "comp", "processed"}
    assert r["alpha"].shape == (h, w, 1) and r["fg"].shape == (h, w, 3)
    assert r["comp"].shape == (h, w, 3) and r["processed"].shape == (h, w, 4)
    for v in r.values():
        assert v.dtype == np.float32 and np.isfinite(v).all()
    assert r["comp"].min() >= 0.0  # sRGB of a non-negative mix; Lanczos overshoot above 1 is kept, as in the original
    # Processed is premultiplied: colour never above its alpha times the largest fg value.
    assert (np.abs(r["processed"][:, :, :3]) <= np.abs(r["processed"][:, :, 3:4]) * 1.5 + 1e-6).all()
    no_comp = engine.process_frame(plate, hint[:, :, None], generate_comp=False, post_process_on_gpu=False)
    assert "comp" not in no_comp


def test_same_results_as_the_cli(engine, sample, tmp_path):
    cli = os.environ.get("CK_CLI")
    if not cli:
        pytest.skip("CK_CLI (the corridorkey tool of the same tree) not set")
    subprocess.run([cli, "process", "--image", str(SAMPLES / "plate.png"), "--hint", str(SAMPLES / "hint.png"),
                    "--checkpoint", TINY, "--img-size", "64", "--exr-float", "--output-dir", str(tmp_path)],
                   check=True, capture_output=True)
    plate, hint = sample
    r = engine.process_frame(plate, hint, post_process_on_gpu=False)
    matte = corridorkey.read_image(tmp_path / "Matte" / "plate.exr")
    processed = corridorkey.read_image(tmp_path / "Processed" / "plate.exr")
    assert np.array_equal(matte, r["alpha"][:, :, 0])
    assert np.array_equal(processed, r["processed"])


@pytest.mark.filterwarnings("ignore:hint is")  # one fixture's hint is half the plate's size, on purpose
@pytest.mark.parametrize("fixture", ["frame_320x180_s128.safetensors", "frame_224x160_s256_linear.safetensors"])
def test_matches_the_reference_harness(fixture):
    t, meta = read_safetensors(FIXTURES / "pipeline" / fixture)
    engine = corridorkey.CorridorKeyEngine(TINY_SAFETENSORS, img_size=int(meta["img_size"]))
    r = engine.process_frame(t["plate"], t["hint"], refiner_scale=float(meta["refiner_scale"]),
                             input_is_linear=meta["input_is_linear"] == "True",
                             despill_strength=float(meta["despill_strength"]),
                             auto_despeckle=meta["auto_despeckle"] == "True",
                             despeckle_size=int(meta["despeckle_size"]), post_process_on_gpu=False)
    for name in ("alpha", "fg", "processed", "comp"):
        want = t[name].reshape(r[name].shape)
        assert np.abs(r[name] - want).max() <= 1e-4, name


def test_batches_return_a_list(engine, sample):
    plate, hint = sample
    batch = np.stack([plate, plate[:, ::-1]]).astype(np.float32)
    masks = np.stack([hint, hint[:, ::-1]])
    out = engine.process_frame(batch, masks, post_process_on_gpu=False)
    assert isinstance(out, list) and len(out) == 2
    single = engine.process_frame(np.ascontiguousarray(batch[1]), np.ascontiguousarray(masks[1]), post_process_on_gpu=False)
    assert np.array_equal(out[1]["alpha"], single["alpha"])  # a strided view keys as its copy


def test_two_threads_key_at_once(sample):
    plate, hint = sample
    engines = [corridorkey.CorridorKeyEngine(TINY, img_size=64, threads=1) for _ in range(2)]
    want = engines[0].process_frame(plate, hint, post_process_on_gpu=False)["alpha"]
    got = [None, None]

    def key(i):
        for _ in range(3):
            got[i] = engines[i].process_frame(plate, hint, post_process_on_gpu=False)["alpha"]

    threads = [threading.Thread(target=key, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(g, want) for g in got)


def test_the_mlx_contract(sample):
    plate, hint = sample
    mlx = corridorkey.CorridorKeyMLXEngine(TINY, img_size=64)
    r = mlx.process_frame((plate * 255).astype(np.uint8), (hint * 255).astype(np.uint8))
    h, w = plate.shape[:2]
    assert r["alpha"].shape == (h, w) and r["fg"].shape == (h, w, 3)
    assert r["comp"].shape == (h, w, 3) and r["processed"].shape == (h, w, 3)
    assert all(v.dtype == np.uint8 for v in r.values())
    with pytest.raises(TypeError, match="uint8"):
        mlx.process_frame(plate, hint)


def test_bad_arguments_raise_clear_errors(engine, sample, tmp_path):
    plate, hint = sample
    with pytest.raises(TypeError, match="int32"):
        engine.process_frame(plate.astype(np.int32), hint)
    with pytest.raises(ValueError, match="H x W x 3"):
        engine.process_frame(plate[:, :, :2], hint)
    with pytest.raises(ValueError, match="mask_linear"):
        engine.process_frame(plate, np.zeros((4, 4, 3), np.float32))
    bad = plate.copy()
    bad[5, 7, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite.*\\(7, 5\\)"):
        engine.process_frame(bad, hint, post_process_on_gpu=False)
    with pytest.raises(ValueError, match="fg_is_straight"):
        engine.process_frame(plate, hint, fg_is_straight=False)
    with pytest.raises(ValueError, match="despill"):
        engine.process_frame(plate, hint, despill_strength=3.0, post_process_on_gpu=False)
    with pytest.raises(ValueError, match="device 'cuda'"):
        corridorkey.CorridorKeyEngine(TINY, device="cuda")
    with pytest.raises(OSError, match="nonexistent.pth"):
        corridorkey.CorridorKeyEngine(str(tmp_path / "nonexistent.pth"), img_size=64)
    with pytest.raises(ValueError, match="img.size|multiple of 32"):
        corridorkey.CorridorKeyEngine(TINY, img_size=65)
    with pytest.raises(OSError, match="missing.png"):
        corridorkey.read_image(tmp_path / "missing.png")


def test_images_round_trip_and_version(tmp_path):
    img = np.random.default_rng(1).random((6, 5, 3), dtype=np.float32)
    corridorkey.write_image(tmp_path / "x.exr", img, "float")
    assert np.array_equal(corridorkey.read_image(tmp_path / "x.exr"), img)
    assert corridorkey.__version__.count(".") == 2


def test_weights_download_into_the_cache_and_found_by_the_engine(tmp_path, monkeypatch):
    """download_weights() from a local server (as the official weights' mirror), verified
    against its .sha256, and then found by an engine given no checkpoint."""
    import hashlib
    import http.server

    served = tmp_path / "served"
    served.mkdir()
    tiny = (FIXTURES / "checkpoints" / "tiny_official.pth").read_bytes()
    (served / "CorridorKey_v1.0.pth").write_bytes(tiny)
    (served / "CorridorKey_v1.0.pth.sha256").write_text(hashlib.sha256(tiny).hexdigest() + "  CorridorKey_v1.0.pth\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("CORRIDORKEY_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("CORRIDORKEY_WEIGHTS_URL", f"http://127.0.0.1:{server.server_port}/CorridorKey_v1.0.pth")
        monkeypatch.delenv("CORRIDORKEY_CHECKPOINT", raising=False)
        assert corridorkey.find_checkpoint() is None
        path = corridorkey.download_weights()
        assert path.startswith(str(tmp_path / "cache")) and open(path, "rb").read() == tiny
        assert corridorkey.find_checkpoint() == path
        engine = corridorkey.CorridorKeyEngine(None, img_size=64)
        assert engine.img_size == 64
        with pytest.raises(OSError, match="404"):
            corridorkey.download_weights(url=f"http://127.0.0.1:{server.server_port}/missing.pth")
    finally:
        server.shutdown()


def test_memory_budgets_and_tiled_inference(sample):
    plate, hint = sample
    # At S = 256 the tiny network's whole maps need about 10 MiB; in 6 the refiner runs in
    # bands and keys the same frame, within fp32 rounding.
    whole = corridorkey.CorridorKeyEngine(TINY, img_size=256, threads=1).process_frame(plate, hint)
    banded = corridorkey.CorridorKeyEngine(TINY, img_size=256, threads=1, max_memory_mb=6).process_frame(plate, hint)
    for key in ("alpha", "fg"):
        assert np.abs(banded[key] - whole[key]).max() < 1e-4, key
    with pytest.raises(ValueError, match="the least budget is"):
        corridorkey.CorridorKeyEngine(TINY, img_size=2048, max_memory_mb=1)
    tiled = corridorkey.CorridorKeyEngine(TINY, img_size=256, threads=1, tile_size=128, tile_overlap=32)
    out = tiled.process_frame(plate, hint)
    assert out["alpha"].shape == whole["alpha"].shape
    assert np.all(np.isfinite(out["alpha"]))  # (Lanczos-resized to the plate: overshoot kept, as the original)
    assert np.abs(out["alpha"] - whole["alpha"]).max() > 0  # tiles see less: an approximation
    with pytest.raises(ValueError, match="tile size 48"):
        corridorkey.CorridorKeyEngine(TINY, img_size=128, tile_size=48)
