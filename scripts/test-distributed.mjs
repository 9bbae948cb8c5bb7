#!/usr/bin/env node
// scripts/test-distributed.mjs — `npm run test:distributed`: the cuoptim/distributed tests on
// every rank of an mpirun job, with 2 ranks and with 3 (the 3-rank job with 1000-byte MPI chunks,
// so every collective also takes its chunked path), the exactness tests on 1 rank, then jobs in which one rank throws, exits,
// is killed or stops calling: each must end, with an error naming the rank, within the stated
// timeout instead of hanging. Open MPI runs oversubscribed (more ranks than cores) and, as root,
// with its allow-run-as-root settings. On a machine with two GPUs or more and NCCL, the tests run
// once more on cuda tensors, one GPU per rank; elsewhere it says why they did not. Without mpirun
// it says so and skips (a failure under CI).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const JOB_LIMIT_S = 600; // a whole test job
const FAILURE_LIMIT_S = 60; // a job with a failing rank must end within this
const RANK_TIMEOUT_S = 5; // init({ timeoutSeconds }) in the failing-rank jobs

const which = spawnSync("sh", ["-c", "command -v mpirun"], { encoding: "utf8" });
if (which.status !== 0) {
  const why = "mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev)";
  if (process.env.CI) {
    console.error(`test:distributed: ${why}; CI must run these tests`);
    process.exit(1);
  }
  console.log(`test:distributed: skipped, ${why}`);
  process.exit(0);
}

const env = {
  ...process.env,
  OMPI_ALLOW_RUN_AS_ROOT: "1",
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1",
  // Containers often forbid the cross-process memory attach Open MPI's shared-memory transport
  // tries first; plain copies work everywhere.
  OMPI_MCA_btl_vader_single_copy_mechanism: "none",
  NO_COLOR: "1",
};
const mpirun = (np, script, extra = {}, limit = JOB_LIMIT_S, capture = false) => {
  const started = Date.now();
  const r = spawnSync("mpirun", ["--oversubscribe", "-np", String(np), process.execPath, "--import", "tsx", script], {
    cwd: root,
    env: { ...env, ...extra },
    stdio: capture ? "pipe" : "inherit",
    encoding: "utf8",
    timeout: limit * 1000,
    killSignal: "SIGKILL",
  });
  return { status: r.status, signal: r.signal, seconds: (Date.now() - started) / 1000, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
};

let passed = 0;
let failed = 0;
const report = (ok, what, detail = "") => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? `\n     ${detail.trim().split("\n").slice(-15).join("\n     ")}` : ""}`);
};

// One rank runs the exactness cases only (the others compare what different ranks pass).
const jobs = [
  [1, { CUOPTIM_DIST_TEST_ONLY: "params bit for bit" }, "the exactness tests"],
  [2, {}, "the distributed tests"],
  [3, { CUOPTIM_DIST_CHUNK_BYTES: "1000" }, "the distributed tests"],
];
for (const [np, extra, what] of jobs) {
  const note = Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(" ");
  console.log(`\n== mpirun -np ${np}${note ? ` (${note})` : ""}: test/distributed/main.ts ==`);
  const r = mpirun(np, "test/distributed/main.ts", extra);
  report(r.status === 0, `${what} on ${np} rank${np > 1 ? "s" : ""} (${r.seconds.toFixed(1)} s)`, r.signal ? `killed after ${JOB_LIMIT_S} s` : "");
}

// cuda tensors go through NCCL, which allows one rank per GPU: with two GPUs or more and NCCL
// loadable, the tests run again on cuda, each rank on its own GPU (OMPI_COMM_WORLD_LOCAL_RANK).
const gpus = spawnSync("nvidia-smi", ["--query-gpu=name", "--format=csv,noheader"], { encoding: "utf8" });
const gpuCount = gpus.status === 0 ? gpus.stdout.trim().split("\n").filter(Boolean).length : 0;
const nccl = process.env.CUOPTIM_NCCL_LIBRARY || (spawnSync("sh", ["-c", "ldconfig -p | grep -q 'libnccl\\.so\\.2 '"]).status === 0 ? "libnccl.so.2" : "");
const cudaWhyNot = gpuCount < 2 ? `NCCL needs one GPU per rank and this machine has ${gpuCount}` : !nccl ? "libnccl.so.2 not found (CUOPTIM_NCCL_LIBRARY names it)" : "";
if (cudaWhyNot) {
  console.log(`\n== cuda tensors through NCCL: skipped, ${cudaWhyNot} ==`);
} else {
  const np = Math.min(gpuCount, 3);
  console.log(`\n== mpirun -np ${np}, cuda tensors through NCCL (${nccl}), one GPU per rank ==`);
  const r = spawnSync("mpirun", ["--oversubscribe", "-np", String(np), "sh", "-c", `CUOPTIM_CUDA_DEVICE=$OMPI_COMM_WORLD_LOCAL_RANK exec "${process.execPath}" --import tsx test/distributed/main.ts`], {
    cwd: root,
    env: { ...env, CUOPTIM_TEST_DEVICES: "cuda", CUOPTIM_DIST_TEST_DEVICE: "cuda" },
    stdio: "inherit",
    timeout: JOB_LIMIT_S * 1000,
    killSignal: "SIGKILL",
  });
  report(r.status === 0, `the distributed tests on ${np} ranks with cuda tensors`);
}

console.log(`\n== a failing rank ends the job (limit ${FAILURE_LIMIT_S} s, rank timeout ${RANK_TIMEOUT_S} s) ==`);
const cases = [
  ["throw", /rank 1 of 2: uncaught[\s\S]*fails on purpose/, "the last rank throws"],
  ["exit", /rank 1 of 2 is exiting with code 3/, "the last rank exits with code 3"],
  ["die", /process rank 1 .*signal 9/, "the last rank is killed"],
  ["hang", /rank 0 of 2 waited 5 s in allReduce/, "the last rank never calls allReduce"],
];
for (const [mode, mentions, what] of cases) {
  const r = mpirun(2, "test/distributed/failing_rank.ts", { CUOPTIM_DIST_FAIL: mode, CUOPTIM_DIST_TEST_TIMEOUT: String(RANK_TIMEOUT_S) }, FAILURE_LIMIT_S, true);
  const ok = !r.signal && r.status !== 0 && mentions.test(r.output);
  report(ok, `${what}: the job ends in ${r.seconds.toFixed(1)} s with exit code ${r.status}, naming the rank`, ok ? "" : r.signal ? `still running after ${FAILURE_LIMIT_S} s\n${r.output}` : r.output);
}

console.log(`\ntest:distributed: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
