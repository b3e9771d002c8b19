"""Times the PyTorch GreenFormer (eager, fp32, or bf16 under CPU autocast) the way
`corridorkey bench` times the engine: the network alone, on generated full-size weights,
median of N runs after warm-up, and the process's peak resident memory.

  python bench_torch.py --img-size 512 --runs 5 --warmup 1 --threads 2 [--bf16]
"""
from __future__ import annotations

import argparse
import resource
import sys
import time

import torch

from dump_reference import build


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--img-size", type=int, default=512)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoint")
    ap.add_argument("--bf16", action="store_true", help="under torch.autocast(cpu, bfloat16)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = build("base_plus", a.img_size, a.checkpoint, 512, 0)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 4, a.img_size, a.img_size, generator=g)
    x[:, :3] = x[:, :3] * 4 - 2
    times = []
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
        for i in range(a.warmup + a.runs):
            t0 = time.perf_counter()
            model.forward_stages(x)
            if i >= a.warmup:
                times.append(time.perf_counter() - t0)
    times.sort()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pytorch {torch.__version__} eager {'bf16 autocast' if a.bf16 else 'fp32'} S={a.img_size}, {a.threads} threads, {a.runs} runs after "
          f"{a.warmup} warm-up: min {times[0]:.3f} s, median {times[len(times) // 2]:.3f} s, "
          f"max {times[-1]:.3f} s; peak resident {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
