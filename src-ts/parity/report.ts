// src-ts/parity/report.ts — a replay's result as a readable table and as JUnit XML (one test
// suite per device and dtype, one test case per param or state entry; a device that is not
// available here is a skipped test, never a passed one).
import type { Device } from "../device.js";
import type { ParityDType, Tolerance } from "./case.js";
import type { TensorReport } from "./compare.js";

/** The comparison of one device and dtype with the reference. */
export interface RunResult {
  device: Device;
  dtype: ParityDType;
  /** "skipped" when the device is not available here (reason says why) */
  status: "compared" | "skipped";
  reason?: string;
  tensors: TensorReport[];
  pass: boolean;
}

/** What replay() found: every run's tensors and whether all passed. */
export interface ParityReport {
  case: string;
  optimizer: string;
  /** what made the reference trajectory */
  reference: string;
  tolerance: Required<Tolerance>;
  runs: RunResult[];
  /** every compared tensor within tolerance (skipped devices do not fail a report) */
  pass: boolean;
}

const fmt = (x: number) => (x === 0 ? "0" : Number.isFinite(x) ? x.toExponential(2) : String(x));

export function tensorLabel(t: TensorReport): string {
  return t.key === null ? t.param : `${t.param}.${t.key}`;
}

function divergence(t: TensorReport): string {
  if (t.missingAt !== null) return `missing from cuoptim's run (step ${t.missingAt})`;
  const d = t.firstDivergence;
  return d ? `step ${d.step} [${d.index}]: ${d.got} vs ${d.want}` : "-";
}

/** A plain-text table: one line per device, dtype and tensor (with perSnapshot, one per snapshot too), then a summary line. */
export function formatReport(r: ParityReport, { perSnapshot = false } = {}): string {
  const tol = r.tolerance;
  const lines = [
    `cuoptim parity: ${r.case} (${r.optimizer}) against ${r.reference}`,
    `tolerance: ${tol.ulp} ulp, or |a-b| <= ${tol.atol} + ${tol.rtol}*|ref|`,
  ];
  const header = ["device", "dtype", "tensor", "identical", "max ulp", "max rel", "max abs", "first divergence", "result"];
  const rows: string[][] = [];
  for (const run of r.runs) {
    if (run.status === "skipped") {
      rows.push([run.device, run.dtype, "(all)", "", "", "", "", run.reason ?? "", "SKIP"]);
      continue;
    }
    for (const t of run.tensors) {
      rows.push([run.device, run.dtype, tensorLabel(t), `${t.identical}/${t.snapshots}`, fmt(t.maxUlp), fmt(t.maxRel), fmt(t.maxAbs), divergence(t), t.pass ? "ok" : "FAIL"]);
      if (!perSnapshot) continue;
      for (const s of t.perSnapshot) {
        const at = s.step === 0 ? "init" : `step ${s.step}`;
        rows.push(["", "", `  ${at}`, s.identical ? "1/1" : "0/1", fmt(s.maxUlp), fmt(s.maxRel), fmt(s.maxAbs), "", s.pass ? "ok" : "FAIL"]);
      }
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  lines.push("", line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line));
  const compared = r.runs.flatMap((x) => x.tensors);
  const failed = compared.filter((t) => !t.pass).length;
  const skipped = r.runs.filter((x) => x.status === "skipped").map((x) => x.device);
  lines.push(
    "",
    `${r.pass ? "PASS" : "FAIL"}: ${compared.length - failed}/${compared.length} tensors within tolerance` +
      (skipped.length ? `; skipped: ${[...new Set(skipped)].join(", ")} (not available here)` : ""),
  );
  return lines.join("\n");
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** JUnit XML, as CI systems read it. */
export function junitReport(r: ParityReport): string {
  const suites = r.runs.map((run) => {
    const name = `${r.case} ${run.device} ${run.dtype}`;
    if (run.status === "skipped") {
      return `  <testsuite name="${xml(name)}" tests="1" failures="0" skipped="1">\n    <testcase classname="${xml(name)}" name="(all tensors)"><skipped message="${xml(run.reason ?? "")}"/></testcase>\n  </testsuite>`;
    }
    const cases = run.tensors.map((t) => {
      const summary = `${t.identical}/${t.snapshots} snapshots bit-identical, max ${fmt(t.maxUlp)} ulp, max rel ${fmt(t.maxRel)}, max abs ${fmt(t.maxAbs)}`;
      const body = t.pass ? "" : `<failure message="${xml(divergence(t))}">${xml(`${summary}; first divergence: ${divergence(t)}`)}</failure>`;
      return `    <testcase classname="${xml(name)}" name="${xml(tensorLabel(t))}">${body}<system-out>${xml(summary)}</system-out></testcase>`;
    });
    const failures = run.tensors.filter((t) => !t.pass).length;
    return `  <testsuite name="${xml(name)}" tests="${run.tensors.length}" failures="${failures}" skipped="0">\n${cases.join("\n")}\n  </testsuite>`;
  });
  const tests = r.runs.reduce((n, run) => n + (run.status === "skipped" ? 1 : run.tensors.length), 0);
  const failures = r.runs.reduce((n, run) => n + run.tensors.filter((t) => !t.pass).length, 0);
  const skipped = r.runs.filter((run) => run.status === "skipped").length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="cuoptim-parity ${xml(r.case)}" tests="${tests}" failures="${failures}" skipped="${skipped}">\n${suites.join("\n")}\n</testsuites>\n`;
}
