// test/parity.test.ts — the parity harness (cuoptim/parity, cuoptim-parity): the case checks and
// their messages, trajectories (round trip, truncated and foreign files), the comparison (ulps in
// each dtype, first divergence), the report and JUnit XML, recorded gradients, the CLI's exit codes,
// atomic outputs, the live torch generator on the README's example, and the transformers and
// schedulefree generators on stand-ins (skipped, saying so, on a machine without Python and torch;
// CI has them, and there a missing torch fails the test).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeSafetensors, type TensorToWrite } from "../src-ts/checkpoint/safetensors.js";
import {
  checkCase,
  compareTensors,
  findPython,
  formatReport,
  junitReport,
  readTrajectory,
  record,
  replay,
  runCli,
  writeTrajectory,
  type ParityCase,
  type Trajectory,
} from "../src-ts/parity/index.js";
import { gradAt } from "../src-ts/parity/synth.js";
import { throwsCode } from "./helpers/throws.js";

const ROOT = join(import.meta.dirname, "..");
const EXAMPLE = join(ROOT, "examples", "parity", "recipe.case.json");
const dir = mkdtempSync(join(tmpdir(), "cuoptim-parity-test-"));

const base = (): ParityCase => ({
  name: "small",
  optimizer: "AdamW",
  options: { lr: 1e-2, weightDecay: 0.1 },
  params: [
    { name: "w", shape: [5, 7], gradScale: 0.5 },
    { name: "b", shape: [7], absentAt: [2] },
  ],
  grads: { source: "synthetic", seed: 3 },
  seed: 9,
  steps: 6,
  snapshots: [1, 3, 6],
  devices: ["cpu", "cuda-sim"],
});

const throwsParity = (fn: () => unknown, pattern: RegExp): void => throwsCode(fn, "ERR_PARITY", pattern);

function cli(argv: string[]): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const code = runCli(argv, (s) => (out += `${s}\n`), (s) => (err += `${s}\n`));
  return { code, out, err };
}

test("the schema and checkCase know the same fields, and the example case is valid", () => {
  const schema = JSON.parse(readFileSync(join(ROOT, "parity", "case.schema.json"), "utf8")) as { properties: Record<string, unknown>; required: string[] };
  let known: string[] = [];
  try {
    checkCase({ ...base(), stpes: 3 });
  } catch (e) {
    assert.match((e as Error).message, /case\.stpes: unknown field/);
    known = /\(known: (.*)\)/.exec((e as Error).message)![1]!.split(", ");
  }
  assert.equal([...known].sort(), Object.keys(schema.properties).sort(), "the schema's fields are the ones checkCase accepts");
  for (const k of schema.required) throwsParity(() => checkCase({ ...base(), [k]: undefined }), new RegExp(`case\\.${k}`));
  const c = checkCase(JSON.parse(readFileSync(EXAMPLE, "utf8")));
  assert.equal(c.dtypes, ["float32", "bfloat16"]);
  assert.is(c.guard, true, "injected values turn the guard on");
  assert.equal(c.tolerance, { ulp: 0, rtol: 1e-5, atol: 1e-7 }, "torch's family with clipping");
  assert.equal(checkCase(base()).tolerance, { ulp: 0, rtol: 0, atol: 0 }, "torch's family: bit-exact");
});

test("bad cases are refused naming the field, before anything runs", () => {
  const out = join(dir, "never.safetensors");
  const cases: [Partial<ParityCase> | Record<string, unknown>, RegExp][] = [
    [{ optimizer: "AdamV" }, /case\.optimizer: unknown optimizer "AdamV" \(known: .*AdamW/],
    [{ optimizer: "LBFGS" }, /closure/],
    [{ options: { lr: 1e-3, betaz: 1 } }, /AdamW refused the case's options: options\.betaz: unknown option/],
    [{ schedule: { name: "CosineLR" } }, /case\.schedule\.name: unknown schedule "CosineLR"/],
    [{ schedule: { name: "ReduceLROnPlateau" } }, /validation metric/],
    [{ schedule: { name: "StepLR", options: {} } }, /case\.schedule: StepLR refused its options: .*stepSize/],
    [{ dtypes: ["float32", "fp8"] } as Record<string, unknown>, /case\.dtypes\[1\]: expected one of "float32", "bfloat16", "float16", got "fp8"/],
    [{ devices: ["gpu"] } as Record<string, unknown>, /case\.devices\[0\]/],
    [{ params: [{ name: "w", shape: [0] }] } as Record<string, unknown>, /case\.params\[0\]\.shape\[0\]/],
    [{ params: [{ name: "w", shape: [2] }, { name: "w", shape: [3] }] }, /case\.params\[1\]\.name: "w" is used by params\[0\] too/],
    [{ groups: [{ params: ["w", "x"] }] }, /case\.groups\[0\]\.params\[1\]: "x" is not a param of the case/],
    [{ groups: [{ params: ["w"] }, { params: ["w", "b"] }] }, /case\.groups\[1\]\.params\[0\]: "w" is already in case\.groups\[0\]\.params\[0\]/],
    [{ snapshots: [1, 7] }, /case\.snapshots\[1\]: expected a whole number in \[1, 6\]/],
    [{ stateAt: [2] }, /case\.stateAt\[0\]: step 2 is not a snapshot step/],
    [{ grads: { source: "synthetic", seed: 1, inject: [{ param: "w", step: 1, index: 35, value: "nan" }] } }, /case\.grads\.inject\[0\]\.index/],
    [{ clip: { maxNorm: 1, normType: 1 } } as Record<string, unknown>, /case\.clip\.normType/],
    [{ tolerance: { rtol: -1 } }, /case\.tolerance\.rtol/],
  ];
  for (const [patch, pattern] of cases) {
    throwsParity(() => record({ ...base(), ...patch } as ParityCase, { out }), pattern);
    assert.not.ok(existsSync(out), "nothing written");
  }
  const badJson = join(dir, "bad.case.json");
  writeFileSync(badJson, "{ not json");
  throwsParity(() => record(badJson), /bad\.case\.json: not JSON/);
});

test("a recorded trajectory round-trips, and replays bit for bit on every device", () => {
  const path = join(dir, "small.safetensors");
  const t = record(base(), { out: path });
  const back = readTrajectory(path);
  assert.equal(back.case, t.case);
  assert.equal([...back.tensors.keys()].sort(), [...t.tensors.keys()].sort());
  assert.ok(back.tensors.has("float32/step/6/state/w/expAvg") && back.tensors.has("float32/init/b"));
  const report = replay(base(), path);
  assert.ok(report.pass);
  for (const run of report.runs) for (const x of run.tensors) assert.is(x.identical, x.snapshots, `${run.device} ${x.param}.${x.key}`);
});

test("a divergence is found at its first step and element; the report, JUnit and exit code say so", () => {
  const ref = record(base());
  const bumped: Trajectory = { ...ref, tensors: new Map(ref.tensors) };
  const name = "float32/step/3/param/w";
  const data = (ref.tensors.get(name)!.data as Float32Array).slice();
  const u = new Uint32Array(data.buffer);
  u[11]! += 3; // three float32 ulps at element 11
  bumped.tensors.set(name, { ...ref.tensors.get(name)!, data });
  const report = replay(base(), bumped, { devices: ["cpu"] });
  assert.not.ok(report.pass);
  const w = report.runs[0]!.tensors.find((x) => x.param === "w" && x.key === null)!;
  assert.equal(w.firstDivergence?.step, 3);
  assert.equal(w.firstDivergence?.index, 11);
  assert.is(w.maxUlp, 3);
  assert.is(w.identical, w.snapshots - 1);
  assert.equal(w.perSnapshot.map((x) => [x.step, x.identical, x.pass]), [[0, true, true], [1, true, true], [3, false, false], [6, true, true]]);
  assert.match(formatReport(report, { perSnapshot: true }), /\n +step 3 +0\/1 +3\.00e\+0 .* FAIL\n/);
  assert.match(junitReport(report), /<failure message="step 3 \[11\]/);
  // the same trajectory with a 3-ulp tolerance passes
  assert.ok(replay({ ...base(), tolerance: { ulp: 3 } }, bumped, { devices: ["cpu"] }).pass);
  const refPath = join(dir, "bumped.safetensors");
  writeTrajectory(refPath, bumped);
  const casePath = join(dir, "small.case.json");
  writeFileSync(casePath, JSON.stringify(base()));
  const junit = join(dir, "small.xml");
  const json = join(dir, "small.json");
  const r = cli(["run", casePath, "--ref", refPath, "--devices", "cpu", "--junit", junit, "--json", json]);
  assert.is(r.code, 1, r.err);
  assert.match(r.out, /FAIL: \d+\/\d+ tensors within tolerance/);
  assert.match(readFileSync(junit, "utf8"), /failures="1"/);
  const saved = JSON.parse(readFileSync(json, "utf8")) as typeof report;
  assert.is(saved.pass, false);
  assert.equal(saved.runs[0]!.tensors.find((x) => x.param === "w" && x.key === null)!.firstDivergence, w.firstDivergence);
});

test("16-bit tensors are compared in their own ulps", () => {
  const t = (bits: number[]) => ({ dtype: "BF16" as const, shape: [bits.length], data: new Uint16Array(bits) });
  // 1.0 = 0x3f80; 0x3f82 is two bfloat16 ulps above; -0 vs +0 is no distance; 0x0001 vs 0x8001 straddle zero by 2
  const r = compareTensors(t([0x3f82, 0x8000, 0x0001]), t([0x3f80, 0x0000, 0x8001]), { ulp: 1, rtol: 0, atol: 0 }, 5);
  assert.is(r.maxUlp, 2);
  assert.equal(r.first, { step: 5, index: 0, got: 1.015625, want: 1 });
  const nan = compareTensors(t([0x7fc0, 0x7fc1]), t([0x7fc0, 0x3f80]), { ulp: 1000, rtol: 1, atol: 1 }, 1);
  assert.is(nan.first?.index, 1, "a NaN against a number is beyond any tolerance");
});

test("a reference of another case, a truncated file and a foreign file are refused", () => {
  const path = join(dir, "other.safetensors");
  record(base(), { out: path });
  const other = { ...base(), params: [{ name: "w", shape: [5, 8] }, { name: "b", shape: [7], absentAt: [2] }] };
  throwsParity(() => replay(other, path), /was made from another case: case\.params\[0\]\.shape\[1\] differs/);
  throwsParity(() => replay({ ...base(), steps: 7, snapshots: [1, 3, 6] }, path), /case\.steps differs/);
  throwsParity(() => replay({ ...base(), dtypes: ["float32", "bfloat16"] }, path), /holds no bfloat16 tensors \(its case's dtypes: float32\)/);
  const bytes = readFileSync(path);
  const truncated = join(dir, "truncated.safetensors");
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 10));
  throwsParity(() => replay(base(), truncated), /truncated\.safetensors: .*(belong to no tensor|outside)/);
  const foreign = join(dir, "foreign.safetensors");
  writeSafetensors(foreign, [{ name: "weight", dtype: "F32", shape: [1], data: new Float32Array(1) }], {});
  throwsParity(() => replay(base(), foreign), /not a cuoptim parity trajectory \(metadata\.format is missing/);
});

test("recorded gradients (a grads file) give the synthetic case's trajectory", () => {
  const c = base();
  const grads: TensorToWrite[] = [];
  for (let step = 1; step <= c.steps; step++) {
    c.params.forEach((p, i) => {
      if (p.absentAt?.includes(step)) return;
      grads.push({ name: `grad/${step}/${p.name}`, dtype: "F32", shape: p.shape, data: gradAt(3, i, step, p.shape.reduce((a, b) => a * b, 1), p.gradScale ?? 1) });
    });
  }
  writeSafetensors(join(dir, "grads.safetensors"), grads, {});
  const fileCase = { ...c, grads: { source: "file" as const, path: "grads.safetensors" } };
  writeFileSync(join(dir, "file.case.json"), JSON.stringify(fileCase));
  const fromFile = record(join(dir, "file.case.json"));
  const synthetic = record(c);
  for (const [k, v] of synthetic.tensors) assert.equal(Buffer.from(fromFile.tensors.get(k)!.data.buffer), Buffer.from(v.data.buffer), k);
});

test("cuoptim-parity: usage errors and bad cases exit 2, a missing reference exits 3, outputs are atomic", () => {
  assert.is(cli([]).code, 2);
  assert.is(cli(["--help"]).code, 0);
  assert.match(cli(["run", EXAMPLE]).err, /name the reference: .*--live \(adamw_llm_recipe's generator: torch\)/);
  assert.is(cli(["run", EXAMPLE, "--devices", "tpu", "--ref", "x.safetensors"]).code, 2);
  assert.is(cli(["frobnicate", EXAMPLE]).code, 2);
  const badCase = join(dir, "unknown.case.json");
  writeFileSync(badCase, JSON.stringify({ ...base(), optimizer: "Adamm" }));
  const junit = join(dir, "never.xml");
  const r = cli(["run", badCase, "--ref", join(dir, "small.safetensors"), "--junit", junit]);
  assert.is(r.code, 2);
  assert.match(r.err, /ERR_PARITY: case\.optimizer: unknown optimizer "Adamm"/);
  assert.not.ok(existsSync(junit));
  const casePath = join(dir, "small.case.json");
  const missing = cli(["run", casePath, "--ref", "torch", "--python", "/nonexistent/python3"]);
  assert.is(missing.code, 3);
  assert.match(missing.err, /ERR_REFERENCE: no Python with torch and numpy: tried \/nonexistent\/python3 \(not found\)\. Install torch \(Debian\/Ubuntu: apt-get install python3-torch/);
  // an existing output file is left as it was when the run fails
  const keep = join(dir, "keep.safetensors");
  writeFileSync(keep, "old contents");
  assert.is(cli(["record", badCase, "--out", keep]).code, 2);
  assert.is(readFileSync(keep, "utf8"), "old contents");
});

let python: string | null = null;
try {
  python = findPython();
} catch (e) {
  if (process.env.CI) throw e;
}

test("live torch: the README's example passes on cpu and cuda-sim, JUnit included; a case torch cannot run is the generator's clear error", () => {
  if (!python) {
    console.log("    skipped: no Python with torch and numpy here (CI has them: apt-get install python3-torch)");
    return;
  }
  const junit = join(dir, "recipe.xml");
  const saved = join(dir, "recipe.torch.safetensors");
  const r = cli(["run", EXAMPLE, "--ref", "torch", "--junit", junit, "--save-ref", saved]);
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /PASS: 72\/72 tensors within tolerance/);
  assert.match(readFileSync(junit, "utf8"), /<testsuites name="cuoptim-parity adamw_llm_recipe" tests="72" failures="0" skipped="0">/);
  // the saved reference replays the same without Python
  assert.ok(replay(EXAMPLE, saved).pass);
  // its file is safetensors as Python reads it (the layout, the metadata, the BF16 bits)
  const check = spawnSync(python, ["-c", [
    "import sys, json, struct",
    "b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n])",
    "m = h.pop('__metadata__'); assert m['format'] == 'cuoptim-parity-trajectory/1', m",
    "e = h['bfloat16/step/100/param/embed']; assert e['dtype'] == 'BF16' and e['shape'] == [512, 64], e",
    "print(json.loads(m['case'])['name'], len(h))",
  ].join("\n"), saved], { encoding: "utf8" });
  assert.is(check.status, 0, check.stderr);
  assert.match(check.stdout, /^adamw_llm_recipe \d+/);
  const lion = join(dir, "lion.case.json");
  writeFileSync(lion, JSON.stringify({ ...base(), optimizer: "Lion", options: { lr: 1e-4 } }));
  const crash = cli(["run", lion, "--ref", "torch"]);
  assert.is(crash.code, 3);
  assert.match(crash.err, /torch reference .* failed with exit code 2:\nerror: optimizer: torch\.optim has no 'Lion'/);
});

const STANDINS = join(ROOT, "test", "fixtures", "parity", "standins");

function withPythonPath<T>(path: string | undefined, fn: () => T): T {
  const before = process.env.PYTHONPATH;
  if (path === undefined) delete process.env.PYTHONPATH;
  else process.env.PYTHONPATH = path;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = before;
  }
}

test("the transformers and schedulefree generators run end to end (on stand-ins: test/fixtures/parity/standins); a missing package exits 3 naming it", () => {
  if (!python) {
    console.log("    skipped: no Python with torch and numpy here (CI has them: apt-get install python3-torch)");
    return;
  }
  const params = [
    { name: "m", shape: [24, 40], gradScale: 0.1 },
    { name: "t", shape: [3, 8, 5] },
    { name: "v", shape: [50], gradScale: 0.01, absentAt: [3] },
  ];
  const common = { params, grads: { source: "synthetic", seed: 5 }, seed: 6, steps: 30, snapshots: [1, 10, 30], devices: ["cpu", "cuda-sim"] };
  const adafactor = join(dir, "adafactor.case.json");
  writeFileSync(adafactor, JSON.stringify({ ...common, name: "adafactor_transformers", optimizer: "Adafactor", options: { variant: "transformers", beta1: 0.9, weightDecay: 0.01 } }));
  const scheduleFree = join(dir, "sf.case.json");
  writeFileSync(scheduleFree, JSON.stringify({ ...common, name: "adamw_schedule_free", optimizer: "AdamWScheduleFree", options: { lr: 0.01, warmupSteps: 5, weightDecay: 0.01 } }));
  withPythonPath(STANDINS, () => {
    const a = cli(["run", adafactor, "--live"]);
    assert.is(a.code, 0, a.out + a.err);
    assert.match(a.out, /against transformers stand-in .* Adafactor on torch/);
    assert.match(a.out, /cuda-sim +float32 +m\.expAvgSqRow +3\/3 /, "the factored statistics are compared under cuoptim's names");
    const sf = cli(["run", scheduleFree, "--live"]);
    assert.is(sf.code, 0, sf.out + sf.err);
    assert.match(sf.out, /against schedulefree stand-in .* AdamWScheduleFree/);
  });
  withPythonPath(undefined, () => {
    const missing = cli(["run", adafactor, "--live"]);
    assert.is(missing.code, 3);
    assert.match(missing.err, /transformers is not installed \(pip install transformers\)/);
    const eightBit = join(dir, "adam8bit.case.json");
    writeFileSync(eightBit, JSON.stringify({ ...common, name: "adamw8bit", optimizer: "AdamW8bit" }));
    const bnb = cli(["run", eightBit, "--live"]);
    assert.is(bnb.code, 3);
    assert.match(bnb.err, /bitsandbytes is not installed \(pip install bitsandbytes; it needs a CUDA build of torch\)/);
  });
});

test.run();
