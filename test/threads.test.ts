// test/threads.test.ts — every backend serves several JS threads at once: 3 worker_threads step
// their own optimizers (AdamW with fused clipping, AdamW8bit) while the main thread resizes the
// cpu pool under them; each worker's params must be bit-identical to the same workload run on
// one thread, and the memory counters must come back to where they started. The workload runs
// in a child process (test/helpers/thread_workload.ts) with a time limit, so a deadlock fails
// this test instead of hanging the suite.
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDevices } from "./helpers/devices.js";

// The workload takes about 2 s; under ASan about 20 s. A deadlock never ends.
const LIMIT_MS = 180_000;

for (const device of testDevices()) {
  test(`${device}: 3 worker_threads step at once while the pool is resized: same bits as one thread, counters back to start`, () => {
    const child = spawnSync(process.execPath, ["--import", "tsx", "test/helpers/thread_workload.ts", device], {
      encoding: "utf8",
      timeout: LIMIT_MS,
      killSignal: "SIGKILL",
    });
    assert.is(child.signal, null, `the workload did not finish within ${LIMIT_MS / 1000} s (deadlock?)\n${child.stderr}`);
    assert.is(child.status, 0, child.stderr);
    const r = JSON.parse(child.stdout.trim().split("\n").pop()!) as { same: boolean[]; before: object; after: object; resizes: number };
    assert.equal(r.same, [true, true, true], "each worker's params equal the single-threaded run's, bit for bit");
    assert.equal(r.after, r.before, "memoryStats().current is back to its start");
    assert.ok(r.resizes > 0, "the pool was resized while the workers ran");
  });
}

test.run();
