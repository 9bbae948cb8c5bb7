// test/helpers/python.ts — the Python that has numpy (Debian's /usr/bin/python3 in CI, where
// python3-torch brings numpy), for tests that check files with an independent reader. Outside CI
// a machine without it skips those tests and says so; in CI (CI=true) its absence fails them.
import { spawnSync } from "node:child_process";

let found: string | null | undefined;

export function numpyPython(): string | null {
  if (found !== undefined) return found;
  found = null;
  for (const exe of ["/usr/bin/python3", "python3"]) {
    if (spawnSync(exe, ["-c", "import numpy"], { stdio: "ignore" }).status === 0) {
      found = exe;
      break;
    }
  }
  if (!found && process.env.CI) throw new Error("CI needs a python3 with numpy (apt-get install python3-numpy)");
  return found;
}

/** Runs a Python script with args (and stdin); returns stdout, throwing with stderr on failure. */
export function runPython(script: string, args: string[], input?: string): string {
  const exe = numpyPython();
  if (!exe) throw new Error("no python3 with numpy");
  const r = spawnSync(exe, [script, ...args], { input, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
