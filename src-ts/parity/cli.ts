// src-ts/parity/cli.ts — `npx cuoptim-parity`: the parity harness from the command line.
//
//   cuoptim-parity run CASE.json [--ref torch|bitsandbytes|transformers|schedulefree|FILE] [--live]
//                                [--devices cpu,cuda-sim] [--per-snapshot] [--junit FILE] [--json FILE] [--save-ref FILE] [--python EXE]
//   cuoptim-parity record CASE.json --out FILE [--device cpu]
//   cuoptim-parity reference CASE.json --out FILE [--ref torch] [--python EXE]
//
// Exit codes: 0 every tensor within tolerance; 1 a tensor diverged; 2 bad input (usage, case,
// trajectory file); 3 the reference could not be produced (no Python or torch, a missing package,
// a generator that failed).
import { CuoptimError } from "../errors.js";
import { writeFileAtomic } from "../checkpoint/atomic_write.js";
import type { Device } from "../device.js";
import { DEVICES, REFERENCES, type ReferenceName } from "./case.js";
import { loadCase, record, reference, replay } from "./index.js";
import { formatReport, junitReport } from "./report.js";
import { writeTrajectory } from "./trajectory.js";

export const EXIT = { pass: 0, diverged: 1, badInput: 2, noReference: 3 } as const;

const USAGE = `usage:
  cuoptim-parity run CASE.json [--ref NAME|FILE] [--live] [--devices LIST] [--per-snapshot] [--junit FILE] [--json FILE] [--save-ref FILE] [--python EXE]
      runs the case on cuoptim on each device and compares it with the reference:
        --ref torch|bitsandbytes|transformers|schedulefree   run that generator now (needs Python + torch)
        --ref FILE.safetensors                               a recorded reference trajectory
        --live                                               run the case's own generator now (its "reference",
                                                             or the one for its optimizer)
        --devices cpu,cuda-sim,cuda                          default: the case's devices
        --per-snapshot                                       also a line per tensor and snapshot
        --junit FILE / --json FILE                           also write the report as JUnit XML / JSON
        --save-ref FILE                                      keep the reference trajectory a generator made
  cuoptim-parity record CASE.json --out FILE [--device DEVICE]
      runs the case on cuoptim and writes its trajectory
  cuoptim-parity reference CASE.json --out FILE [--ref NAME] [--python EXE]
      runs a reference generator and writes its trajectory
exit codes: 0 within tolerance, 1 diverged, 2 bad input, 3 no reference (Python, torch or a package missing, a generator failed)`;

class UsageError extends Error {}

interface Flags {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

const VALUE_FLAGS = ["--ref", "--devices", "--junit", "--json", "--save-ref", "--python", "--out", "--device"];
const SWITCHES = ["--live", "--help", "--per-snapshot"];

function parse(argv: string[]): Flags {
  const f: Flags = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_FLAGS.includes(a)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      f.values.set(a, v);
    } else if (SWITCHES.includes(a)) {
      f.switches.add(a);
    } else if (a.startsWith("--")) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      f.positional.push(a);
    }
  }
  return f;
}

function devicesOf(list: string | undefined): Device[] | undefined {
  if (list === undefined) return undefined;
  const ds = list.split(",").map((d) => d.trim());
  for (const d of ds) if (!DEVICES.includes(d as Device)) throw new UsageError(`--devices: ${JSON.stringify(d)} is not one of ${DEVICES.join(", ")}`);
  return ds as Device[];
}

function writeText(path: string, text: string): void {
  writeFileAtomic(path, function* () {
    yield Buffer.from(text, "utf8");
  });
}

function runCommand(f: Flags, out: (s: string) => void): number {
  const [casePath] = f.positional;
  const refArg = f.values.get("--ref");
  const live = f.switches.has("--live");
  if (refArg && live && !REFERENCES.includes(refArg as ReferenceName)) throw new UsageError("--live runs a generator; --ref names a file: give one of them");
  const loadedCase = loadCase(casePath!);
  const c = loadedCase.case;
  let ref;
  if (refArg && !REFERENCES.includes(refArg as ReferenceName)) {
    ref = refArg;
  } else if (refArg || live) {
    ref = reference(loadedCase, { ref: (refArg as ReferenceName | undefined) ?? undefined, python: f.values.get("--python") });
    const save = f.values.get("--save-ref");
    if (save) writeTrajectory(save, ref);
  } else {
    throw new UsageError(`run: name the reference: --ref FILE.safetensors, --ref ${REFERENCES.join("|")}, or --live (${c.name}'s generator: ${c.reference ?? "none known"})`);
  }
  const report = replay(loadedCase, ref, { devices: devicesOf(f.values.get("--devices")) });
  out(formatReport(report, { perSnapshot: f.switches.has("--per-snapshot") }));
  const junit = f.values.get("--junit");
  if (junit) writeText(junit, junitReport(report));
  const json = f.values.get("--json");
  if (json) writeText(json, `${JSON.stringify(report, null, 1)}\n`);
  return report.pass ? EXIT.pass : EXIT.diverged;
}

/** Runs the command line (argv without node and the script); returns the exit code. */
export function runCli(argv: string[], out: (s: string) => void = (s) => console.log(s), err: (s: string) => void = (s) => console.error(s)): number {
  try {
    const f = parse(argv);
    const [command, ...rest] = f.positional;
    if (f.switches.has("--help") || command === undefined || command === "help") {
      (command === undefined && !f.switches.has("--help") ? err : out)(USAGE);
      return command === undefined && !f.switches.has("--help") ? EXIT.badInput : EXIT.pass;
    }
    f.positional = rest;
    if (rest.length !== 1) throw new UsageError(`${command}: expected one case file, got ${rest.length}`);
    if (command === "run") return runCommand(f, out);
    const dest = f.values.get("--out");
    if (!dest) throw new UsageError(`${command}: --out FILE is required`);
    if (command === "record") {
      const device = devicesOf(f.values.get("--device"))?.[0];
      const t = record(rest[0]!, { device, out: dest });
      out(`${dest}: ${t.tensors.size} tensors (${t.source})`);
      return EXIT.pass;
    }
    if (command === "reference") {
      const refArg = f.values.get("--ref");
      if (refArg !== undefined && !REFERENCES.includes(refArg as ReferenceName)) throw new UsageError(`--ref: expected one of ${REFERENCES.join(", ")}`);
      const t = reference(rest[0]!, { ref: refArg as ReferenceName | undefined, python: f.values.get("--python"), out: dest });
      out(`${dest}: ${t.tensors.size} tensors (${t.source})`);
      return EXIT.pass;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`cuoptim-parity: ${e.message}\n${USAGE}`);
      return EXIT.badInput;
    }
    if (e instanceof CuoptimError) {
      err(`cuoptim-parity: ${e.code}: ${e.message}`);
      return e.code === "ERR_REFERENCE" ? EXIT.noReference : EXIT.badInput;
    }
    throw e;
  }
}
