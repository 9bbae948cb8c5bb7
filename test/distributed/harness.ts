// test/distributed/harness.ts — a test runner for code that runs on every rank of an mpirun job
// (scripts/test-distributed.mjs starts it). Every rank runs every case in order. After each
// case the ranks meet in a barrier, then exchange their results. A case that failed on one rank
// half way leaves the ranks out of step: that rank's barrier meets the others' next collective,
// which each rank refuses as a mismatch (every collective compares the ranks' calls before it
// moves any data), so the barrier is retried until every rank has reached it. Rank 0 prints one
// line per case (with every failing rank's error) and the closing count; the exit code is 1 when
// any case failed on any rank.
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { allGatherJson } from "../../src-ts/distributed/world.js";
import { barrier, finalize, init, rank, worldSize } from "../../src-ts/distributed/index.js";

type Case = { name: string; fn: () => void | Promise<void> };
const cases: Case[] = [];

export function test(name: string, fn: () => void | Promise<void>): void {
  cases.push({ name, fn });
}

export async function run(): Promise<void> {
  init({ timeoutSeconds: Number(process.env.CUOPTIM_DIST_TEST_TIMEOUT ?? 120) });
  // CUOPTIM_BINARY (the sanitizer build) must be the binary that loaded: the loader would
  // otherwise fall back to the regular build without a word.
  const explicit = process.env.CUOPTIM_BINARY;
  if (explicit && !(resolve(explicit) in createRequire(import.meta.url).cache)) throw new Error(`CUOPTIM_BINARY=${explicit} did not load (another build was used instead)`);
  const only = process.env.CUOPTIM_DIST_TEST_ONLY;
  let passed = 0;
  let failed = 0;
  for (const c of cases) {
    if (only && !c.name.includes(only)) continue;
    let error: string | null = null;
    try {
      await c.fn();
    } catch (e) {
      error = (e as Error)?.stack ?? String(e);
    }
    for (let tries = 0; ; tries++) {
      try {
        barrier();
        break;
      } catch (e) {
        if (tries > 10000) throw e;
      }
    }
    const all = allGatherJson(error);
    const failures = all.map((e, r) => [r, e] as const).filter(([, e]) => e !== null);
    if (failures.length === 0) passed++;
    else failed++;
    if (rank() === 0) {
      console.log(`${failures.length ? "FAIL" : "ok  "} ${c.name}`);
      for (const [r, e] of failures) console.log(`     rank ${r}: ${e!.split("\n").slice(0, 6).join("\n     ")}`);
    }
  }
  if (rank() === 0) console.log(`\n${worldSize()} rank${worldSize() > 1 ? "s" : ""}, every case on each\ndistributed: ${passed} passed, ${failed} failed`);
  finalize();
  process.exitCode = failed ? 1 : 0;
}
