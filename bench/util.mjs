// bench/util.mjs — small helpers shared by the benchmark scripts.
import { spawnSync } from "node:child_process";

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** --name value pairs over the given defaults (numbers stay numbers). */
export function parseArgs(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in out)) continue;
    const next = argv[i + 1];
    if (typeof out[key] === "boolean") out[key] = true;
    else {
      out[key] = typeof out[key] === "number" ? Number(next) : next;
      i++;
    }
  }
  return out;
}

/** The first python3 that imports torch (Debian's python3-torch installs for /usr/bin/python3). */
export function findTorchPython() {
  for (const py of [process.env.CUOPTIM_TORCH_PYTHON, "/usr/bin/python3", "python3"].filter(Boolean)) {
    const r = spawnSync(py, ["-c", "import torch"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  return null;
}
