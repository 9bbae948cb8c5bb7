// test/helpers/gc_pressure.ts — the GC-pressure test's workload, in a process of its own:
// `node --import tsx test/helpers/gc_pressure.ts DEVICE COUNT MIB` makes COUNT tensors of MIB MiB
// that become unreachable at once (never freed), yielding to the event loop every 8 as a
// training loop does (Node runs native finalizers from the loop), and prints one JSON line:
// {made, peakBytes} with the peak of memoryStats(DEVICE).current.total seen along the way.
import { memoryStats, zeros, type Device } from "../../src-ts/index.js";

const [device, count, mib] = [process.argv[2] as Device, Number(process.argv[3]), Number(process.argv[4])];
let peak = 0;
for (let i = 0; i < count; i++) {
  zeros([(mib * 2 ** 20) / 4], { device });
  peak = Math.max(peak, memoryStats(device).current.total);
  if (i % 8 === 7) await new Promise((r) => setImmediate(r));
}
console.log(JSON.stringify({ made: count * mib * 2 ** 20, peakBytes: peak }));
