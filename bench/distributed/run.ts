// bench/distributed/run.ts — `npm run bench:distributed`: ZeroRedundancyOptimizer's memory per
// rank and step time on 1, 2 and 3 ranks (mpirun, oversubscribed on a small machine), next to the
// ZeRO paper's per-rank formulas for mixed-precision Adam (Rajbhandari et al. 2020, §5: params
// 2Ψ + grads 2Ψ + optimizer state KΨ with K = 12; stage 1 shards the state: 4Ψ + 12Ψ/N; stage 2
// the grads too: 2Ψ + 14Ψ/N). Writes bench/results/distributed-<host>-<date>.md (--quick: under
// bench/results/quick/). Numbers are reported, never asserted.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

const quick = process.argv.includes("--quick");
const root = join(import.meta.dirname, "..", "..");
const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: "1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1", OMPI_MCA_btl_vader_single_copy_mechanism: "none", BENCH_TENSORS: quick ? "12" : "24", BENCH_NUMEL: String(quick ? 1 << 14 : 1 << 16) };

interface RankRow { rank: number; params: number; grads: number; state: number; stepMs: number; localMs: number }
interface Run { stage: 1 | 2; worldSize: number; psi: number; ranks: RankRow[] }

const runs: Run[] = [];
for (const np of [1, 2, 3]) {
  const r = spawnSync("mpirun", ["--oversubscribe", "-np", String(np), process.execPath, "--import", "tsx", "bench/distributed/rank.ts"], { cwd: root, env, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    throw new Error(`bench:distributed: mpirun -np ${np} failed (exit ${r.status})`);
  }
  for (const line of r.stdout.split("\n")) if (line.startsWith("{")) runs.push(JSON.parse(line) as Run);
}

const formula = (stage: 1 | 2, n: number): number => (stage === 1 ? 4 + 12 / n : 2 + 14 / n);
const f2 = (x: number): string => x.toFixed(2);
const lines = [
  `# ZeroRedundancyOptimizer: memory per rank and step time (${hostname()}, ${new Date().toISOString().slice(0, 10)})`,
  "",
  `Mixed-precision AdamW: bfloat16 params and grads, float32 masters and moments (K = 12), Ψ = ${runs[0]!.psi.toLocaleString("en-US")} params in ${env.BENCH_TENSORS} equal tensors; cpu tensors, Open MPI, every rank on this machine (${process.env.CI ? "CI" : "a developer VM"}; 3 ranks oversubscribe 2 cores).`,
  "Bytes are memoryStats after a step, per rank, divided by Ψ. A stage-2 rank has dropped the gradients of params it does not own once step() averaged them onto their owners. Paper: Rajbhandari et al. 2020, stage 1 (P_os) 4Ψ + KΨ/N, stage 2 (P_os+g) 2Ψ + (2+K)Ψ/N.",
  "",
  "| stage | ranks | params B/Ψ | grads B/Ψ | state B/Ψ | total B/Ψ (max over ranks) | ZeRO paper | step ms (max) | local step ms | share outside the local step |",
  "|---|---|---|---|---|---|---|---|---|---|",
];
for (const run of runs.sort((a, b) => a.stage - b.stage || a.worldSize - b.worldSize)) {
  const per = (k: "params" | "grads" | "state"): number => Math.max(...run.ranks.map((r) => r[k])) / run.psi;
  const total = Math.max(...run.ranks.map((r) => (r.params + r.grads + r.state) / run.psi));
  const step = Math.max(...run.ranks.map((r) => r.stepMs));
  const local = Math.max(...run.ranks.map((r) => r.localMs));
  lines.push(`| ${run.stage} | ${run.worldSize} | ${f2(per("params"))} | ${f2(per("grads"))} | ${f2(per("state"))} | ${f2(total)} | ${f2(formula(run.stage, run.worldSize))} | ${step.toFixed(1)} | ${local.toFixed(1)} | ${step > 0 ? `${Math.max(0, (100 * (step - local)) / step).toFixed(0)}%` : "-"} |`);
}
lines.push(
  "",
  "The share outside the local step is 1 − (this rank's optimizer over its partition alone) / (the whole sharded step: the ranks' agreement on the step, stage 2's gradient reduction, the local step and one broadcast per updated param), the slowest rank of each; on 1 rank nothing travels and it is the sharding layer's own cost.",
  "",
);
const dir = quick ? join(root, "bench", "results", "quick") : join(root, "bench", "results");
mkdirSync(dir, { recursive: true });
const out = join(dir, `distributed-${hostname()}-${new Date().toISOString().slice(0, 10)}.md`);
writeFileSync(out, lines.join("\n"));
console.log(lines.join("\n"));
console.log(`written: ${out}`);
