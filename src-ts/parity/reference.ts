// src-ts/parity/reference.ts — runs a reference generator (parity/python/cuoptim_parity, shipped
// in the package) on a case: finds a Python that imports torch, writes the case to a temporary
// directory, runs `python -m cuoptim_parity.<ref>_ref CASE OUT` and reads the trajectory it wrote.
// A missing Python, torch or package, or a generator that fails, is ERR_REFERENCE saying what to
// install or what the generator printed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fail } from "../errors.js";
import type { NormalizedCase, ReferenceName } from "./case.js";
import { readTrajectory, type Trajectory } from "./trajectory.js";

const INSTALL = {
  torch: "Debian/Ubuntu: apt-get install python3-torch (for /usr/bin/python3); elsewhere: pip install torch",
  bitsandbytes: "pip install bitsandbytes (with a CUDA build of torch, on a machine with an NVIDIA GPU)",
  transformers: "pip install transformers",
  schedulefree: "pip install schedulefree",
};

/** The directory holding the cuoptim_parity Python package (parity/python in the package). */
export function generatorsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "parity", "python");
    if (existsSync(join(candidate, "cuoptim_parity", "loop.py"))) return candidate;
    dir = dirname(dir);
  }
  return fail("ERR_REFERENCE", "the reference generators (parity/python/cuoptim_parity) are missing from this installation of cuoptim");
}

/** This package's version (package.json, beside parity/). */
export function cuoptimVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(generatorsDir(), "..", "..", "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "(version unknown)";
  }
}

/** The Python found for each request ("" for the default search): importing torch to check takes a second or two. */
const pythonFound = new Map<string, string>();

/** The Python to run generators with: `python`, $CUOPTIM_PYTHON, or the first of python3, /usr/bin/python3, python that imports torch. */
export function findPython(python?: string): string {
  const explicit = python ?? process.env.CUOPTIM_PYTHON;
  const found = pythonFound.get(explicit ?? "");
  if (found) return found;
  const candidates = explicit ? [explicit] : ["python3", "/usr/bin/python3", "python"];
  const tried: string[] = [];
  for (const exe of candidates) {
    const r = spawnSync(exe, ["-c", "import torch, numpy"], { encoding: "utf8" });
    if (r.status === 0) {
      pythonFound.set(explicit ?? "", exe);
      return exe;
    }
    tried.push(r.error ? `${exe} (not found)` : `${exe} (${lastLine(r.stderr) || `exit ${r.status}`})`);
  }
  return fail("ERR_REFERENCE", `no Python with torch and numpy: tried ${tried.join(", ")}. Install torch (${INSTALL.torch}), or name a Python with --python / CUOPTIM_PYTHON`);
}

function lastLine(s: string | null): string {
  return (s ?? "").trim().split("\n").pop() ?? "";
}

/** Runs the `ref` generator on the case and returns the reference trajectory. */
export function generateReference(c: NormalizedCase, ref: ReferenceName, options: { caseDir: string; python?: string }): Trajectory {
  const python = findPython(options.python);
  const dir = mkdtempSync(join(tmpdir(), "cuoptim-parity-"));
  try {
    // A recorded grads file is named by an absolute path, so the generator finds it from here.
    const grads = c.grads.source === "file" ? { ...c.grads, path: resolve(options.caseDir, c.grads.path) } : c.grads;
    const casePath = join(dir, "case.json");
    writeFileSync(casePath, JSON.stringify({ ...c, grads }));
    const out = join(dir, "reference.safetensors");
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONPATH: [generatorsDir(), process.env.PYTHONPATH].filter(Boolean).join(":") };
    const r = spawnSync(python, ["-m", `cuoptim_parity.${ref}_ref`, casePath, out], { encoding: "utf8", env, maxBuffer: 1 << 26 });
    if (r.error) fail("ERR_REFERENCE", `${ref} reference: could not run ${python}: ${r.error.message}`);
    if (r.status !== 0) {
      const said = (r.stderr || r.stdout || "").trim().split("\n").slice(-8).join("\n");
      const hint = r.status === 3 ? ` (${INSTALL[ref]})` : "";
      fail("ERR_REFERENCE", `${ref} reference (${python} -m cuoptim_parity.${ref}_ref) failed with exit code ${r.status ?? r.signal}${hint}:\n${said}`);
    }
    return readTrajectory(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
