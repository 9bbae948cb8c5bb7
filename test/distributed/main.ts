// test/distributed/main.ts — the distributed tests, run on every rank of
// `mpirun -np N node --import tsx test/distributed/main.ts` (scripts/test-distributed.mjs).
import "./collectives.cases.js";
import "./zero.cases.js";
import "./threads.cases.js";
import { run } from "./harness.js";

await run();
