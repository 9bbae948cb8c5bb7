// test/gpu_check.test.ts — scripts/gpu-check.sh on a machine without a usable GPU: it must say
// that it skipped, and why, and exit 2 — never report the GPU checks as passed. (With cuda
// available the script is the GPU check itself, minutes long, and is not run from here.)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { backends, isAvailable } from "../src-ts/index.js";

if (isAvailable("cuda")) {
  console.log("gpu_check: skipped here: cuda is available, so scripts/gpu-check.sh is the GPU check itself (run it directly)");
} else {
  test("gpu-check.sh without a usable GPU exits 2, says it skipped and gives backends()' reason", () => {
    const out = mkdtempSync(join(tmpdir(), "cuoptim-gpu-check-"));
    try {
      const run = spawnSync("bash", ["scripts/gpu-check.sh"], { encoding: "utf8", env: { ...process.env, CUOPTIM_GPU_CHECK_OUT: out } });
      assert.is(run.status, 2, run.stdout + run.stderr);
      const reason = backends().find((b) => b.name === "cuda")!.reason!;
      assert.ok(run.stdout.includes(`cuda: ${reason}`), run.stdout);
      const summary = readFileSync(join(out, "summary.md"), "utf8");
      assert.match(summary, /FAILED/);
      assert.match(summary, /skipped: cuda is not available here/);
      assert.not.match(summary, /\| passed \|/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test.run();
