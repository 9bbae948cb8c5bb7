#!/usr/bin/env python3
"""Times torch.optim steps on the CPU, for bench/run.ts to put beside cuoptim's numbers.

usage: python3 bench/torch_step.py --optimizer AdamW --numel 16777216 --tensors 4 --threads 2 --steps 10 [--foreach 1]
Prints one JSON line: {"torch": version, "threads": T, "foreach": bool, "optimizer": name, "times_ms": [...]}.
"""
import argparse
import json
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--numel", type=int, required=True)
    ap.add_argument("--tensors", type=int, default=4)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--foreach", type=int, default=1)
    ap.add_argument("--optimizer", default="AdamW")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    per = args.numel // args.tensors
    sizes = [per] * (args.tensors - 1) + [args.numel - per * (args.tensors - 1)]
    params = [torch.nn.Parameter(torch.randn(n)) for n in sizes]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-2
    opt = getattr(torch.optim, args.optimizer)(params, lr=1e-3, foreach=bool(args.foreach))
    times = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.step()
        dt = (time.perf_counter() - t0) * 1e3
        if i >= args.warmup:
            times.append(dt)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "foreach": bool(args.foreach),
                      "optimizer": args.optimizer, "times_ms": times}))


if __name__ == "__main__":
    main()
