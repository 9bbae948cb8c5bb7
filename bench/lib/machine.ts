// bench/lib/machine.ts — what the numbers were measured on, and the live PyTorch reference.
import { spawnSync } from "node:child_process";
import { cpus, hostname, totalmem } from "node:os";
import { backends, cpuIsa, numThreads } from "../../src-ts/index.js";

export interface Machine {
  host: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  threads: number;
  isa: string;
  node: string;
  torch: string | null;
  backends: { name: string; available: boolean; reason?: string }[];
}

/** The first python3 that imports torch (Debian's python3-torch installs for /usr/bin/python3). */
export function torchPython(): string | null {
  for (const py of [process.env.CUOPTIM_TORCH_PYTHON, "/usr/bin/python3", "python3"].filter((p): p is string => !!p)) {
    if (spawnSync(py, ["-c", "import torch"], { stdio: "ignore" }).status === 0) return py;
  }
  return null;
}

export function describeMachine(): Machine {
  const py = torchPython();
  const torch = py ? spawnSync(py, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" }).stdout.trim() : null;
  return {
    host: hostname(),
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    threads: numThreads(),
    isa: cpuIsa(),
    node: process.versions.node,
    torch,
    backends: backends(),
  };
}

/** Runs bench/torch_step.py; null when torch is absent or the run fails. */
export function torchStepTimes(args: { optimizer: string; numel: number; tensors: number; threads: number; steps: number; foreach: boolean }): number[] | null {
  const py = torchPython();
  if (!py) return null;
  const r = spawnSync(
    py,
    ["bench/torch_step.py", "--optimizer", args.optimizer, "--numel", String(args.numel), "--tensors", String(args.tensors), "--threads", String(args.threads), "--steps", String(args.steps), "--foreach", args.foreach ? "1" : "0"],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) return null;
  return (JSON.parse(r.stdout.trim().split("\n").pop()!) as { times_ms: number[] }).times_ms;
}
