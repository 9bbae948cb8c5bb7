// bench/lib/report.ts — the markdown report, the target checks and the README summary.
import type { Machine } from "./machine.js";
import type { Bandwidth } from "../sections/bandwidth.js";
import { CLAIMS, type MemoryRow } from "../sections/memory.js";
import type { ManyTensorsRow } from "../sections/many_tensors.js";
import type { ScalingRow, ThreadRow } from "../sections/scaling.js";
import type { StepOverhead } from "../sections/step_overhead.js";
import type { ThroughputRow } from "../sections/throughput.js";
import { GPU_MODEL, MODEL_DEVICE, modelledMs } from "../sections/gpu_model.js";

export interface Results {
  date: string;
  quick: boolean;
  machine: Machine;
  memory: MemoryRow[];
  bandwidth: Bandwidth;
  /** the cuda device's, when it was measured */
  gpuBandwidth?: Bandwidth;
  throughput: ThroughputRow[];
  notes: string[];
  scaling: ScalingRow[];
  stepOverhead: StepOverhead;
  threads: ThreadRow[];
  manyTensors?: ManyTensorsRow;
  targets: Target[];
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "—");
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

export function checkTargets(r: Omit<Results, "targets">): Target[] {
  const cpu = (impl: string) => r.throughput.find((t) => t.implementation === impl);
  const ours = cpu("cuoptim AdamW (cpu)");
  const ours8 = cpu("cuoptim AdamW8bit (cpu)");
  const torchForeach = cpu("torch AdamW(foreach=True)");
  const n = ours ? `${(ours.params / 2 ** 20).toFixed(0)}M params` : "";
  const targets: Target[] = [];
  if (ours && torchForeach) {
    const x = torchForeach.ms / ours.ms;
    targets.push({ name: "fused AdamW vs torch foreach AdamW (cpu, same threads)", goal: "≥ 3× faster", measured: `${f(x, 1)}× (${f(ours.ms)} vs ${f(torchForeach.ms)} ms at ${n})`, met: x >= 3 });
  } else targets.push({ name: "fused AdamW vs torch foreach AdamW", goal: "≥ 3× faster", measured: "torch not installed", met: null });
  if (ours) {
    targets.push({ name: "fused AdamW vs measured bandwidth (cpu)", goal: "≥ 80%", measured: `${f(ours.pctRoofline, 0)}% (${f(ours.gbs, 1)} of ${f(r.bandwidth.rooflineGBs, 1)} GB/s)`, met: ours.pctRoofline >= 80 });
  }
  const bf16 = cpu("cuoptim AdamW bf16 (cpu)");
  if (bf16) {
    targets.push({ name: "bf16 AdamW (f32 state) vs measured bandwidth (cpu, 22 useful B/param)", goal: "≥ 80%", measured: `${f(bf16.pctRoofline, 0)}% (${f(bf16.gbs, 1)} GB/s; ${f(bf16.ms)} ms vs ${ours ? f(ours.ms) : "—"} ms for f32 AdamW)`, met: bf16.pctRoofline >= 80 });
  }
  if (ours8 && torchForeach) {
    const x = torchForeach.ms / ours8.ms;
    targets.push({ name: "AdamW8bit (cpu) vs torch 32-bit AdamW foreach", goal: "at least as fast", measured: `${f(x, 1)}× (${f(ours8.ms)} vs ${f(torchForeach.ms)} ms)`, met: x >= 1 });
  }
  // The memory-saving optimizers and the quantization ops (cpu), against the roofline and, where
  // the bench also timed the previous loops in a child process, as a speed-up over them.
  const memoryBound: [string, number][] = [["AdamW8bit", 60], ["Lion8bit", 60], ["Adafactor", 50], ["CAME", 50], ["quantizeBlockwise", 60], ["dequantizeBlockwise", 60]];
  for (const [name, goal] of memoryBound) {
    const now = cpu(`cuoptim ${name} (cpu)`);
    if (!now) continue;
    const before = cpu(`cuoptim ${name} (cpu, previous path)`);
    const vs = before ? `; previous path ${f(before.ms)} ms, ${f(before.pctRoofline, 0)}%: ${f(before.ms / now.ms, 2)}× faster now` : "";
    targets.push({ name: `${name} vs measured bandwidth (cpu, ${now.bytesPerParam} useful B/param)`, goal: `≥ ${goal}%`, measured: `${f(now.pctRoofline, 0)}% (${f(now.ms)} ms${vs})`, met: now.pctRoofline >= goal });
  }
  if (ours8 && ours) {
    targets.push({ name: "AdamW8bit vs cuoptim's 32-bit AdamW (cpu, same run)", goal: "faster", measured: `${f(ours8.ms)} vs ${f(ours.ms)} ms (${f(ours.ms / ours8.ms, 2)}×)`, met: ours8.ms < ours.ms });
  }
  const { many, one, torchForeachUs, model } = r.stepOverhead;
  const perTensor = (many.usPerStep - one.usPerStep) / many.tensors;
  const torchVs = torchForeachUs === null ? "torch not installed" : `torch 1.13 foreach AdamW on the same list: ${f(torchForeachUs, 1)} µs, ${f(torchForeachUs / many.usPerStep, 1)}× ours`;
  targets.push({
    name: `a step over ${many.tensors} tensors of 1K params vs the same params as one tensor (cpu, AdamW)`,
    goal: "≤ 1.5× (≤ 0.15 µs per tensor)",
    measured: `${f(many.usPerStep / one.usPerStep, 2)}×: ${f(many.usPerStep, 1)} vs ${f(one.usPerStep, 1)} µs, ${f(perTensor, 3)} µs per tensor; ${torchVs}`,
    met: many.usPerStep <= 1.5 * one.usPerStep,
  });
  targets.push({
    name: `host part of a step over ${model.name}'s ${model.tensors} tensors (cpu, AdamW)`,
    goal: "< 5%",
    measured: `${f(model.hostShare * 100, 3)}%: ${f(model.hostUs, 1)} µs (a step over ${model.tensors} one-param tensors) of ${f(model.stepMs, 1)} ms`,
    met: model.hostShare < 0.05,
  });
  return targets;
}

export function markdown(r: Results, charts: Record<string, string>): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`# cuoptim benchmark — ${m.host}, ${r.date}${r.quick ? " (quick)" : ""}`);
  out.push("");
  out.push(`${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; cuoptim cpu backend with ${m.threads} threads (${m.isa}); Node ${m.node}; PyTorch ${m.torch ?? "not installed"}.`);
  const gpu = m.backends.find((b) => b.name === "cuda");
  out.push(`cuda: ${gpu?.available ? "available" : `not available here (${gpu?.reason ?? "not built"})`}.`);
  out.push("");
  out.push("## Targets");
  out.push("");
  out.push(table(["target", "goal", "measured", "met"], r.targets.map((t) => [t.name, t.goal, t.measured, t.met === null ? "n/a" : t.met ? "yes" : "**no**"])));
  out.push("");
  out.push("## Memory per parameter (measured with memoryStats after one step)");
  out.push("");
  out.push(table(
    ["workload", "optimizer", "params", "params B/p", "grads B/p", "state B/p", "(θ + state) / θ", "published / seed"],
    r.memory.map((x) => [x.workload, x.optimizer, x.params.toLocaleString("en-US"), f(x.paramBytes), f(x.gradBytes), f(x.stateBytes, 3), `${f(x.multiple, 2)}×`, CLAIMS[x.optimizer] ?? ""]),
  ));
  out.push("");
  if (charts.memory) out.push(`![memory per parameter](${charts.memory})`, "");
  out.push("## Throughput");
  out.push("");
  out.push(
    `Roofline: copy ${f(r.bandwidth.copyGBs, 1)} GB/s (one memmove), in-place scale ${f(r.bandwidth.scaleGBs, 1)} GB/s (thread pool), triad ${f(r.bandwidth.triadGBs, 1)} GB/s (a ← a + w·(b − a), vectorised, thread pool), on ${(r.bandwidth.floats / 2 ** 20).toFixed(0)}M floats, each the best of a measurement before and one after the throughput runs; the best is the 100% mark. The roofline is measured too, on a shared machine: above 100% means it came out low in this run, or that the optimizer reads more streams than it rewrites (Sophia reads h and never writes it), which costs the memory system less than the read-modify-writes the roofline times.`,
  );
  out.push("");
  const ref = r.throughput.find((t) => t.implementation === "cuoptim AdamW (cpu)");
  out.push(table(
    ["implementation", "params", "ms/step (median of 10)", "Mparam/s", "useful B/param", "GB/s", "% of roofline", "AdamW time vs cuoptim"],
    r.throughput.map((t) => [t.implementation, t.params.toLocaleString("en-US"), f(t.ms), f(t.mparamPerS, 0), t.bytesPerParam, f(t.gbs, 1), f(t.pctRoofline, 0), t.optimizer === "AdamW" && ref ? `${f(t.ms / ref.ms, 2)}×` : ""]),
  ));
  for (const n of r.notes) out.push("", n);
  out.push("");
  if (charts.throughput) out.push(`![throughput](${charts.throughput})`, "");
  out.push(...gpuSection(r));
  out.push("## Scaling (AdamW, cpu)");
  out.push("");
  out.push(table(["params", "tensors", "µs/step", "ns/param"], [...r.scaling, r.stepOverhead.many].map((s) => [s.params.toLocaleString("en-US"), s.tensors, f(s.usPerStep, 1), f(s.nsPerParam, 3)])));
  out.push("");
  if (charts.scaling) out.push(`![scaling](${charts.scaling})`, "");
  out.push(table(["threads", "ms/step", "speed-up"], r.threads.map((t) => [t.threads, f(t.ms), `${f(t.speedup)}×`])));
  out.push("");
  if (charts.threads) out.push(`![threads](${charts.threads})`, "");
  if (r.manyTensors) {
    const m = r.manyTensors;
    out.push(`## ${m.tensors.toLocaleString("en-US")} tensors of 4 params (AdamW, cpu; one run each)`);
    out.push("");
    out.push(table(["construct ms", "first step ms", "step ms", "save ms", "load ms"], [[f(m.constructMs, 0), f(m.firstStepMs, 0), f(m.stepMs, 0), f(m.saveMs, 0), f(m.loadMs, 0)]]));
    out.push("");
  }
  return out.join("\n");
}

/** The README block between the bench markers. */
export function readmeSummary(r: Results, reportPath: string, charts: Record<string, string>): string {
  const big = r.memory.filter((x) => x.workload === r.memory[0]!.workload);
  const lines = [
    `Measured by \`npm run bench\` on ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.threads} threads), ${r.date}; full report: [${reportPath}](${reportPath}).`,
    "",
    table(["optimizer", `state B/param (${big[0]?.workload})`, "(θ + state) / θ", "published / seed"], big.map((x) => [x.optimizer, f(x.stateBytes, 3), `${f(x.multiple, 2)}×`, CLAIMS[x.optimizer] ?? ""])),
    "",
    table(["implementation", "ms/step", "Mparam/s", "% of roofline"], r.throughput.filter((t) => t.optimizer === "AdamW" || t.implementation.includes("8bit")).map((t) => [t.implementation, f(t.ms), f(t.mparamPerS, 0), f(t.pctRoofline, 0)])),
    "",
    table(["target", "goal", "measured", "met"], r.targets.map((t) => [t.name, t.goal, t.measured, t.met === null ? "n/a" : t.met ? "yes" : "**no**"])),
    "",
    ...["memory", "throughput"].filter((k) => charts[k]).map((k) => `![${k}](${charts[k]})`),
  ];
  return lines.join("\n");
}

/** The GPU: the modelled roofline per kernel, and the measured cuda rows beside it when there are any. */
function gpuSection(r: Results): string[] {
  const out = ["## GPU roofline", ""];
  const params = r.throughput.find((t) => t.device === "cpu" && t.optimizer === "AdamW")?.params ?? 16 * 2 ** 20;
  const measured = (optimizer: string) => r.throughput.find((t) => t.device === "cuda" && t.optimizer === optimizer && !t.implementation.includes("["));
  if (r.gpuBandwidth) {
    const b = r.gpuBandwidth;
    out.push(`Measured on this machine's GPU: copy ${f(b.copyGBs, 1)} GB/s (device to device), scale ${f(b.scaleGBs, 1)} GB/s, triad ${f(b.triadGBs, 1)} GB/s, on ${(b.floats / 2 ** 20).toFixed(0)}M floats; the cuda rows above are percentages of the copy.`, "");
  } else {
    out.push("No GPU was measured in this run: the table is the model alone.", "");
  }
  out.push(
    `Modelled on an ${MODEL_DEVICE.name}: ${MODEL_DEVICE.peakGBs} GB/s peak, about ${MODEL_DEVICE.copyGBs} GB/s for a device copy; the expected share of the copy bandwidth per kernel, from its code and \`npm run resource-check\` (ptxas), at ${params.toLocaleString("en-US")} params. A model, not a measurement: a GPU run (scripts/gpu-check.sh) replaces it.`,
    "",
  );
  out.push(table(
    ["kernel", "B/param", "modelled % of copy", "modelled ms/step", "measured % of copy", "why"],
    GPU_MODEL.map((g) => {
      const m = measured(g.optimizer);
      return [g.optimizer, g.bytesPerParam, `${g.low}–${g.high}`, f(modelledMs(g, params), 3), m ? f(m.pctRoofline, 0) : "—", g.why];
    }),
  ));
  out.push("");
  return out;
}
