// test/leaks.test.ts — 10 000 create / step / free cycles leave nothing behind: memoryStats
// returns to where it started (every byte the backends allocated was released), and the
// process's resident memory stays flat across them (so nothing outside the accounting grows
// either: no leaked host buffers, wrappers or thread-pool work). RSS is read after a warm-up of
// twice as many cycles (the allocator and V8 grow in steps for the first ~20 000) and after each
// of two more windows of cycles, in a process of its own (test/helpers/leak_cycles.ts, the
// workload) so no other test's heap moves it. A leak grows RSS in both windows; the allocator's
// and V8's jitter (±5 MiB measured, flat over 120 000 cycles) moves it up in one and down in the
// other.
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDevices } from "./helpers/devices.js";

const CYCLES = Number(process.env.CUOPTIM_LEAK_CYCLES ?? 10_000);
// ASan keeps freed memory in quarantine and shadows every allocation, so RSS means nothing there.
const sanitized = (process.env.LD_PRELOAD ?? "").includes("asan");

for (const device of testDevices().filter((d) => d !== "cuda")) {
  // The simulator runs every kernel launch on fibers: fewer cycles there keep the test quick.
  const n = device === "cuda-sim" ? Math.ceil(CYCLES / 5) : CYCLES;
  test(`${device}: ${n} create/step/free cycles return memoryStats to its start and keep RSS flat`, () => {
    const child = spawnSync(process.execPath, ["--import", "tsx", "test/helpers/leak_cycles.ts", device, String(n)], { encoding: "utf8" });
    assert.is(child.status, 0, child.stderr);
    const r = JSON.parse(child.stdout.trim().split("\n").pop()!) as { start: object; end: object; rss: number[] };
    assert.equal(r.end, r.start, "every byte allocated was released");
    const mib = r.rss.map((x) => x / 2 ** 20);
    const growth = [mib[1]! - mib[0]!, mib[2]! - mib[1]!];
    if (process.env.CUOPTIM_TEST_VERBOSE) console.log(`    ${device}: RSS ${mib.map((x) => x.toFixed(1)).join(" -> ")} MiB over windows of ${n} cycles`);
    // Each cycle allocates ~3 KiB of tensors and state plus ~1 KiB of wrappers: leaking either
    // over 10 000 cycles adds >= 10 MiB to both windows.
    if (!sanitized && n >= 10_000) assert.ok(Math.min(...growth) < 6, `RSS grew in both windows: ${growth.map((g) => g.toFixed(1)).join(", ")} MiB`);
  });
}

test.run();
