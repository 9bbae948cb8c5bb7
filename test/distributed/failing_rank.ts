// test/distributed/failing_rank.ts — a job in which the last rank goes wrong while the others wait
// in a collective (scripts/test-distributed.mjs runs it and checks how the job ends):
//   CUOPTIM_DIST_FAIL=throw  the last rank throws an uncaught error;
//   CUOPTIM_DIST_FAIL=exit   the last rank exits with code 3 without finalize();
//   CUOPTIM_DIST_FAIL=die    the last rank is killed (SIGKILL);
//   CUOPTIM_DIST_FAIL=hang   the last rank never calls the collective (the others' timeout ends the job).
import { allReduce, init } from "../../src-ts/distributed/index.js";
import { tensor } from "../../src-ts/index.js";

const { rank, worldSize } = init({ timeoutSeconds: Number(process.env.CUOPTIM_DIST_TEST_TIMEOUT ?? 5) });
const t = tensor(new Float32Array([rank]), [1]);
if (rank === worldSize - 1) {
  const mode = process.env.CUOPTIM_DIST_FAIL;
  if (mode === "throw") throw new Error(`rank ${rank} fails on purpose`);
  if (mode === "exit") process.exit(3);
  if (mode === "die") process.kill(process.pid, "SIGKILL");
  if (mode === "hang") setInterval(() => {}, 1000);
} else {
  allReduce(t);
}
