"""The network side by side on one machine: PyTorch eager, ONNX Runtime and OpenVINO (the
model exported from the same PyTorch module) and `corridorkey bench`, same weights (the
project's generated full-size weights), same resolution and thread count, median of N runs
after warm-up. Writes the table into docs/BENCHMARKS.md (between its peers markers).

  .venv-ref/bin/python bench/peers/bench_peers.py --img-size 512 --threads 2 --runs 5

fp32 runs everywhere; with --bf16, PyTorch (autocast) and OpenVINO (inference precision
bf16) are timed in bf16 too. OpenVINO would pick bf16 by itself on a CPU with AVX512-BF16,
so its precision is always set explicitly.
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


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--img-size", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS.md"))
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
    rows: list[tuple[str, str, list[float], str]] = []

    with torch.inference_mode():
        rows.append(("PyTorch eager", "fp32", timed(lambda: model(x), a.runs, a.warmup), torch.__version__))
        notes = []
        if a.bf16:
            # autocast trips over timm's LayerNorm in this PyTorch; the whole model in bf16 runs.
            try:
                model_bf16 = copy.deepcopy(model).to(torch.bfloat16)
                xb = x.to(torch.bfloat16)
                rows.append(("PyTorch eager (model in bf16)", "bf16", timed(lambda: model_bf16(xb), a.runs, a.warmup),
                             torch.__version__))
            except RuntimeError as e:
                notes.append(f"PyTorch bf16 failed: {str(e).splitlines()[0]}")
    compile_note = "torch.compile: not available in this PyTorch" if not hasattr(torch, "compile") else ""

    # The engine runs before ONNX Runtime and OpenVINO exist in this process: their idle
    # worker threads spin and would take cores from it.
    cli = ROOT / "build" / "tools" / "corridorkey"
    ours = json.loads(subprocess.run([str(cli), "bench", "--img-size", str(s), "--runs", str(a.runs), "--warmup",
                                      str(a.warmup), "--threads", str(a.threads), "--json"], check=True,
                                     capture_output=True, text=True).stdout)
    ours_median = ours["total"]["median_s"]
    ours_row = ("corridorkey-cpp", "fp32", [ours["total"]["min_s"], ours_median, ours["total"]["max_s"]], "this tree")

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
    ort_out = sess.run(None, {"x": xn})

    import openvino as ov
    core = ov.Core()
    ov_model = core.read_model(str(onnx_path))
    precisions = ["f32"] + (["bf16"] if a.bf16 else [])
    ov_out = None
    for prec in precisions:
        compiled = core.compile_model(ov_model, "CPU", {"INFERENCE_PRECISION_HINT": prec, "INFERENCE_NUM_THREADS": a.threads,
                                                         "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"})
        req = compiled.create_infer_request()
        rows.append(("OpenVINO", "fp32" if prec == "f32" else "bf16",
                     timed(lambda: req.infer({0: xn}), a.runs, a.warmup), ov.__version__))
        if prec == "f32":
            ov_out = [req.get_output_tensor(i).data.copy() for i in range(2)]


    rows.append(ours_row)
    del sess, compiled, req  # stop their thread pools

    # The peers compute the same function: check it before comparing their speed.
    with torch.inference_mode():
        ref = [t.numpy() for t in model(x)]
    agree = {"ONNX Runtime": max(float(np.abs(o - r).max()) for o, r in zip(ort_out, ref)),
             "OpenVINO": max(float(np.abs(o - r).max()) for o, r in zip(ov_out, ref))}

    med = lambda t: t[len(t) // 2]  # noqa: E731  (ours comes as [min, median, max])
    fp32_peers = [med(r[2]) for r in rows if r[1] == "fp32" and r[0] != "corridorkey-cpp"]
    lines = [
        "| runtime | precision | version | min (s) | median (s) | max (s) | corridorkey-cpp fp32 speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, prec, t, ver in rows:
        lines.append(f"| {name} | {prec} | {ver} | {t[0]:.3f} | {med(t):.3f} | {t[-1]:.3f} | "
                     f"{med(t) / ours_median:.2f}x |")
    stage_lines = ["| stage | median (s) |", "|---|---|"]
    stage_lines += [f"| {k} | {v['median_s']:.4f} |" for k, v in ours["stages"].items()]
    cmd = f".venv-ref/bin/python bench/peers/bench_peers.py --img-size {s} --threads {a.threads} --runs {a.runs}" + \
          (" --bf16" if a.bf16 else "")
    text = "\n".join([
        BEGIN, f"## The network against its peers, S = {s}", "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores, {a.threads} threads; Debian {platform.freedesktop_os_release().get('VERSION_ID', '?')}.",
        f"Network only (no image files), S = {s}, the full-size network with the project's generated weights,",
        f"median of {a.runs} runs after {a.warmup} warm-up, all runtimes in one run of:", "", "```sh", cmd, "```", "",
        *lines, "",
        f"fastest fp32 peer: {min(fp32_peers):.3f} s; corridorkey-cpp: {ours_median:.3f} s "
        f"({min(fp32_peers) / ours_median:.2f}x). Peak resident memory of `corridorkey bench`: {ours['peak_rss_mb']:.0f} MB.",
        f"Peers against PyTorch on the same input (max abs over alpha and fg): ONNX Runtime {agree['ONNX Runtime']:.1e}, "
        f"OpenVINO {agree['OpenVINO']:.1e}. {compile_note} {' '.join(notes)}", "",
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
