"""The network side by side on one machine: PyTorch eager, ONNX Runtime and OpenVINO (the
model exported from the same PyTorch module) and `corridorkey bench`, same weights (the
project's generated full-size weights), same resolution and thread count, median of N runs
after warm-up. Writes the table into docs/BENCHMARKS.md (between its peers markers).

  .venv-ref/bin/python bench/peers/bench_peers.py --img-size 512 --threads 2 --runs 5

PyTorch runs twice: Debian's 1.13 of the reference harness (no torch.compile) in this process,
and, where .venv-torch exists (bench/peers/requirements-torch.txt), current PyTorch from PyPI,
eager and through torch.compile, in a child process (torch_current.py).

fp32 runs everywhere; with --bf16, PyTorch (the model cast to bf16), OpenVINO (inference
precision bf16) and `corridorkey bench --precision bf16` are timed in bf16 too, and each
bf16 runtime's error against PyTorch fp32 is measured on the bundled sample's network input.
OpenVINO would pick bf16 by itself on a CPU with AVX512-BF16, so its precision is always set
explicitly.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "reference"))
from dump_reference import build  # noqa: E402
from run_args import add_run_arguments  # noqa: E402
from sample_inputs import network_input, sample_plate_and_hint  # noqa: E402


BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"


class Outputs(torch.nn.Module):
    """GreenFormer as an inference graph: x (1, 4, S, S) -> alpha, fg."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        s = self.model.forward_stages(x)
        return s["alpha_final"], s["fg_final"]


def timed(fn, runs: int, warmup: int) -> list[float]:
    times = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return sorted(times)


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def cpu_instruction_sets() -> str:
    """The instruction sets that decide which kernels run (corridorkey-cpp's levels, oneDNN's)."""
    wanted = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_tile", "amx_bf16"]
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return " ".join(f for f in wanted if f in flags) or "none of " + " ".join(wanted)
    return "unknown"


def run_ours(a, precision: str) -> dict:
    cli = ROOT / "build" / "tools" / "corridorkey"
    return json.loads(subprocess.run([str(cli), "bench", "--img-size", str(a.img_size), "--runs", str(a.runs),
                                      "--warmup", str(a.warmup), "--threads", str(a.threads), "--precision", precision,
                                      "--json"], check=True, capture_output=True, text=True).stdout)


def executed_gflop(s: int) -> dict[str, float]:
    """GFLOP (2 x multiply-adds; norms, softmax and element-wise work excluded) that the
    engine's fp32 path executes at S = s, by part: the backbone and folded decoders as
    matrix products, the refiner's 3x3 convolutions as Winograd F(4x4, 3x3) (36 products per
    4x4 output tile and channel pair, plus the input and output transforms counted by the
    non-zeros of their matrices: 456 and 320 FLOPs per tile and channel)."""
    g = [s // 4, s // 8, s // 16, s // 32]  # token grid per stage
    n = [x * x for x in g]
    dims = [112, 224, 448, 896]

    def block(n_in, n_out, d_in, d_out, keys):
        qkv = 2 * n_in * d_in * 3 * d_out
        shortcut = 2 * n_in * d_in * d_out if d_in != d_out else 0
        attention = 4 * n_out * keys * d_out  # scores and weighted values
        return qkv + shortcut + attention + 2 * n_out * d_out ** 2 + 16 * n_out * d_out ** 2

    backbone = 2 * n[0] * 112 * 4 * 49  # patch embed, 7x7 stride 4
    backbone += 2 * block(n[0], n[0], 112, 112, 64)  # blocks 0-1: 8x8 windows
    backbone += block(n[0], n[1], 112, 224, 64)  # block 2: q pooled
    backbone += 2 * block(n[1], n[1], 224, 224, 16)  # blocks 3-4: 4x4 windows
    backbone += block(n[1], n[2], 224, 448, 16)  # block 5: q pooled
    backbone += 15 * block(n[2], n[2], 448, 448, n[2])  # blocks 6-20: global
    backbone += block(n[2], n[3], 448, 896, n[2])  # block 21: global, q pooled
    backbone += 2 * block(n[3], n[3], 896, 896, n[3])  # blocks 22-23
    decoders = sum(sum(2 * n[i] * dims[i] * 256 for i in range(4)) + 2 * n[0] * 256 * co for co in (1, 3))
    tiles = (s // 4) ** 2
    winograd = 8 * tiles * 64 * (2 * 36 * 64 + 456 + 320)
    refiner = 2 * s * s * 7 * 64 * 9 + winograd + 2 * s * s * 64 * 4
    return {"backbone": backbone / 1e9, "decoders": decoders / 1e9, "refiner": refiner / 1e9}


def gemm_peak_gflops(threads: int) -> float:
    """The fp32 GEMM rate `ck_opbench` measures at the network's fastest GEMM shape (the
    stage-2 MLP's 1024 x 448 -> 1792 linear), the same threads."""
    out = subprocess.run([str(ROOT / "build" / "bench" / "ck_opbench"), "--threads", str(threads), "--runs", "20",
                          "--only", "linear stage2 mlp.fc1"], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("linear stage2 mlp.fc1"):
            return float(line.split("ms")[1].split()[0])
    raise RuntimeError("ck_opbench printed no stage-2 fc1 row")


def run_current_torch(a, work: Path, sample_n, reference) -> dict | None:
    """torch_current.py in the current-PyTorch environment, if there is one: its rows, errors
    against this process's fp32 reference, and notes."""
    python = Path(a.torch_venv) / "bin" / "python"
    if not python.exists():
        return None
    ref_path = work / f"reference_s{a.img_size}.npz"
    np.savez(ref_path, alpha=reference[0], fg=reference[1], x=sample_n)
    cmd = [str(python), str(Path(__file__).resolve().parent / "torch_current.py"), "--img-size", str(a.img_size),
           "--threads", str(a.threads), "--runs", str(a.runs), "--warmup", str(a.warmup), "--reference", str(ref_path)]
    out = subprocess.run(cmd + (["--bf16"] if a.bf16 else []), check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def max_error(outputs, reference) -> float:
    return max(float(np.abs(np.asarray(o, dtype=np.float32) - r).max()) for o, r in zip(outputs, reference))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(ap)
    ap.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    ap.add_argument("--torch-venv", default=str(ROOT / ".venv-torch"),
                    help="environment with current PyTorch for torch_current.py (skipped if absent)")
    a = ap.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    torch.set_num_threads(a.threads)
    work = ROOT / "out" / "peers"
    work.mkdir(parents=True, exist_ok=True)
    s = a.img_size
    model = Outputs(build("base_plus", s, None, 512, 0)).eval()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 4, s, s, generator=g)
    x[:, :3] = x[:, :3] * 4 - 2
    xn = x.numpy()
    # bf16 error is measured on a realistic input: the bundled sample plate and hint.
    sample_n = network_input(*sample_plate_and_hint(s))
    sample = torch.from_numpy(sample_n)
    rows: list[tuple[str, str, list[float], str]] = []
    errors: dict[str, float] = {}
    notes = []

    with torch.inference_mode():
        reference = [t.numpy() for t in model(sample)]
        rows.append(("PyTorch eager (Debian)", "fp32", timed(lambda: model(x), a.runs, a.warmup), torch.__version__))
        if a.bf16:
            # autocast trips over timm's LayerNorm in this PyTorch; the whole model in bf16 runs.
            try:
                model_bf16 = copy.deepcopy(model).to(torch.bfloat16)
                xb = x.to(torch.bfloat16)
                rows.append(("PyTorch eager (Debian), model in bf16", "bf16",
                             timed(lambda: model_bf16(xb), a.runs, a.warmup), torch.__version__))
                errors["PyTorch eager (Debian), model in bf16"] = max_error(
                    [t.float().numpy() for t in model_bf16(sample.to(torch.bfloat16))], reference)
                del model_bf16
            except RuntimeError as e:
                notes.append(f"PyTorch bf16 failed: {str(e).splitlines()[0]}")
    compile_note = "Debian's PyTorch 1.13 has no torch.compile." if not hasattr(torch, "compile") else ""
    agree = {}
    current = run_current_torch(a, work, sample_n, reference)
    if current:
        for r in current["rows"]:
            rows.append((r["name"], r["precision"], r["times"], r["version"]))
            (errors if r["precision"] == "bf16" else agree)[r["name"]] = current["errors"][r["name"]]
        notes.append("Current PyTorch: " + "; ".join(current["notes"]) + ".")
    else:
        notes.append(f"Current PyTorch not run: no {a.torch_venv} (bench/peers/requirements-torch.txt).")

    # The engine runs before ONNX Runtime and OpenVINO exist in this process: their idle
    # worker threads spin and would take cores from it.
    ours = {"fp32": run_ours(a, "fp32")}
    peak = gemm_peak_gflops(a.threads)  # right after: the machine as the engine found it
    if a.bf16:
        ours["bf16"] = run_ours(a, "bf16")
    ours_rows = [("corridorkey-cpp", p, [o["total"]["min_s"], o["total"]["median_s"], o["total"]["max_s"]],
                  "this tree") for p, o in ours.items()]

    onnx_path = work / f"greenformer_s{s}.onnx"
    if not onnx_path.exists():
        with torch.no_grad():
            torch.onnx.export(model, x, str(onnx_path), opset_version=17, input_names=["x"],
                              output_names=["alpha", "fg"])
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    rows.append(("ONNX Runtime", "fp32", timed(lambda: sess.run(None, {"x": xn}), a.runs, a.warmup), ort.__version__))
    agree["ONNX Runtime"] = max_error(sess.run(None, {"x": sample_n}), reference)
    del sess  # stop its thread pool

    import openvino as ov
    core = ov.Core()
    ov_model = core.read_model(str(onnx_path))
    for prec in ["f32"] + (["bf16"] if a.bf16 else []):
        compiled = core.compile_model(ov_model, "CPU", {"INFERENCE_PRECISION_HINT": prec, "INFERENCE_NUM_THREADS": a.threads,
                                                         "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"})
        req = compiled.create_infer_request()
        name = "fp32" if prec == "f32" else "bf16"
        rows.append(("OpenVINO", name, timed(lambda: req.infer({0: xn}), a.runs, a.warmup), ov.__version__))
        req.infer({0: sample_n})
        err = max_error([req.get_output_tensor(i).data.copy() for i in range(2)], reference)
        if prec == "f32":
            agree["OpenVINO"] = err
        else:
            errors["OpenVINO"] = err
        del req, compiled
    rows += ours_rows

    med = lambda t: t[len(t) // 2]  # noqa: E731  (ours comes as [min, median, max])
    ours_median = {p: o["total"]["median_s"] for p, o in ours.items()}
    lines = [
        "| runtime | precision | version | min (s) | median (s) | max (s) | corridorkey-cpp speed-up, same precision |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, prec, t, ver in rows:
        ratio = f"{med(t) / ours_median[prec]:.2f}x" if prec in ours_median else "-"
        lines.append(f"| {name} | {prec} | {ver} | {t[0]:.3f} | {med(t):.3f} | {t[-1]:.3f} | {ratio} |")
    summary = []
    for prec in ours_median:
        peers = {r[0]: med(r[2]) for r in rows if r[1] == prec and r[0] != "corridorkey-cpp"}
        fastest = min(peers, key=peers.get)
        summary.append(f"- {prec}: corridorkey-cpp {ours_median[prec]:.3f} s; fastest {prec} peer {fastest} "
                       f"{peers[fastest]:.3f} s ({peers[fastest] / ours_median[prec]:.2f}x).")
    flops = executed_gflop(s)
    floor = sum(flops.values()) / peak
    summary.append(f"- Machine limit: the fp32 engine executes {sum(flops.values()):.0f} GFLOP (backbone "
                   f"{flops['backbone']:.0f}, folded decoders {flops['decoders']:.1f}, refiner with Winograd "
                   f"{flops['refiner']:.0f}); at the fp32 GEMM peak measured in this run ({peak:.0f} GFLOP/s, "
                   f"`ck_opbench --threads {a.threads} --runs 20 --only 'linear stage2 mlp.fc1'`, oneDNN linear 1024 x 448 -> 1792) that is "
                   f"{floor:.3f} s; corridorkey-cpp fp32 runs at {ours_median['fp32'] / floor:.2f}x it.")
    eager = {r[0]: med(r[2]) for r in rows
             if r[1] == "fp32" and r[0].startswith("PyTorch") and "eager" in r[0]}
    summary.append("- PyTorch eager fp32 against corridorkey-cpp fp32: " +
                   ", ".join(f"{k} {v / ours_median['fp32']:.2f}x" for k, v in eager.items()) + ".")
    if "bf16" in ours_median:
        summary.append(f"- corridorkey-cpp bf16 against its fp32: {ours_median['fp32'] / ours_median['bf16']:.2f}x.")
    summary.append(f"- Peak resident memory of `corridorkey bench`: fp32 {ours['fp32']['peak_rss_mb']:.0f} MB" +
                   (f", bf16 {ours['bf16']['peak_rss_mb']:.0f} MB." if "bf16" in ours else "."))
    summary.append("- fp32 peers against Debian's PyTorch on the sample's input (max abs over alpha and fg): " +
                   ", ".join(f"{k} {v:.1e}" for k, v in agree.items()) + f". {compile_note} {' '.join(notes)}")
    if errors:
        summary.append("- bf16 against PyTorch fp32 on the sample's input (max abs over alpha and fg): " +
                       ", ".join(f"{k} {v:.1e}" for k, v in errors.items()) +
                       "; corridorkey-cpp bf16: see docs/PARITY.md (`scripts/parity.sh 512 --precision bf16`).")
    stage_lines = ["| stage | " + " | ".join(f"{p} median (s)" for p in ours) + " |",
                   "|---|" + "---|" * len(ours)]
    for k in ours["fp32"]["stages"]:
        stage_lines.append(f"| {k} | " + " | ".join(f"{o['stages'][k]['median_s']:.4f}" for o in ours.values()) + " |")
    cmd = f".venv-ref/bin/python bench/peers/bench_peers.py --img-size {s} --threads {a.threads} --runs {a.runs}" + \
          (" --bf16" if a.bf16 else "")
    text = "\n".join([
        BEGIN, f"## The network against its peers, S = {s}", "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores, {a.threads} threads; Debian {platform.freedesktop_os_release().get('VERSION_ID', '?')}; "
        f"instruction sets: {cpu_instruction_sets()}.",
        f"Network only (no image files), S = {s}, the full-size network with the project's generated weights,",
        f"median of {a.runs} runs after {a.warmup} warm-up, all runtimes in one run of:", "", "```sh", cmd, "```", "",
        *lines, "", *summary, "",
        "corridorkey-cpp per stage:", "", *stage_lines, "", END])
    out = Path(a.out)
    doc = out.read_text() if out.exists() else "# Benchmarks\n\n"
    if BEGIN in doc and END in doc:  # replace this resolution's section, keep the rest
        doc = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    out.write_text(doc)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
