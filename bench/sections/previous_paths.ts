// bench/sections/previous_paths.ts — the throughput rows whose cpu loops were replaced by faster
// ones (8-bit code search in registers, Adafactor's row-band walk), timed again on the previous
// loops in the same run: a child process with CUOPTIM_CPU_PATHS=previous (read once, when the
// addon first runs those loops) and the same thread count. Both paths give the same bits
// (test/cpu_paths.test.ts); only the time differs.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { setNumThreads } from "../../src-ts/index.js";
import type { Progress } from "../lib/progress.js";
import { cuoptimThroughput, PREVIOUS_PATH_ROWS, type MeasuredThroughput } from "./throughput.js";

const CHILD_FLAG = "--previous-path-child";

export function previousPathThroughput(side: number, threads: number, progress: Progress): { rows: MeasuredThroughput[]; note?: string } {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), CHILD_FLAG, String(side), String(threads)], {
    env: { ...process.env, CUOPTIM_CPU_PATHS: "previous" },
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  progress.tick("throughput: previous cpu paths (child process)");
  if (child.status !== 0) return { rows: [], note: `previous-path rows not measured: the child process failed (${child.stderr.trim().split("\n").pop() ?? child.status})` };
  const rows = JSON.parse(child.stdout) as MeasuredThroughput[];
  return { rows: rows.map((r) => ({ ...r, implementation: r.implementation.replace(/ \(cpu\)/, " (cpu, previous path)") })) };
}

if (process.argv[2] === CHILD_FLAG) {
  setNumThreads(Number(process.argv[4]));
  const quiet = { tick() {} } as unknown as Progress;
  process.stdout.write(JSON.stringify(cuoptimThroughput("cpu", Number(process.argv[3]), quiet, (name) => PREVIOUS_PATH_ROWS.includes(name))));
}
