"""Current PyTorch from PyPI, for bench_peers.py: the same network (the reference harness's
module, the project's generated weights) timed eager and through torch.compile (inductor,
with weights frozen into the graph, the CPU inference setting), fp32 and, with --bf16, under
CPU autocast to bf16. Runs in its own environment (.venv-torch, bench/peers/
requirements-torch.txt), because the reference harness keeps Debian's PyTorch; bench_peers.py
starts it and reads one JSON object from its last line of output.

  .venv-torch/bin/python bench/peers/torch_current.py --img-size 512 --threads 2 --runs 7 \\
      --reference out/peers/reference_s512.npz [--bf16]

The reference file holds the fp32 outputs of Debian's PyTorch on the sample's network input
(alpha, fg, and that input as x); errors are max abs over alpha and fg against them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "reference"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_args import add_run_arguments  # noqa: E402


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(ap)
    ap.add_argument("--reference", required=True, help=".npz with alpha, fg and x (the sample's network input)")
    a = ap.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    import torch
    import torch._inductor.config as inductor_config
    from bench_peers import Outputs, max_error, timed  # the parent's model wrapper and timing
    from dump_reference import build

    torch.set_num_threads(a.threads)
    inductor_config.freezing = True  # weights as constants: inductor's CPU inference path
    ref = np.load(a.reference)
    reference = [ref["alpha"], ref["fg"]]
    sample = torch.from_numpy(ref["x"])
    s = a.img_size
    model = Outputs(build("base_plus", s, None, 512, 0)).eval()
    g = torch.Generator().manual_seed(1)  # the same timing input as bench_peers.py
    x = torch.rand(1, 4, s, s, generator=g)
    x[:, :3] = x[:, :3] * 4 - 2
    version = torch.__version__.split("+")[0]
    rows, errors, notes = [], {}, []

    def run(name: str, precision: str, fn) -> None:
        times = timed(lambda: fn(x), a.runs, a.warmup)
        err = max_error([t.float().numpy() for t in fn(sample)], reference)
        rows.append({"name": name, "precision": precision, "times": times, "version": version})
        errors[name] = err
        print(f"{name}: median {times[len(times) // 2]:.3f} s, max abs {err:.1e}", file=sys.stderr, flush=True)

    def compiled(fn_name: str):
        t0 = time.perf_counter()
        fn = torch.compile(model)
        fn(x)  # compiles
        notes.append(f"{fn_name} compiled in {time.perf_counter() - t0:.0f} s")
        return fn

    with torch.inference_mode():
        run(f"PyTorch {version} eager", "fp32", model)
        run(f"PyTorch {version} torch.compile", "fp32", compiled("fp32 graph"))
        if a.bf16:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                run(f"PyTorch {version} eager, autocast bf16", "bf16", model)
                torch._dynamo.reset()  # a fresh graph under autocast
                run(f"PyTorch {version} torch.compile, autocast bf16", "bf16", compiled("bf16 graph"))
    print(json.dumps({"rows": rows, "errors": errors, "notes": notes}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
