// examples/parity/check.mjs — recipe.case.json (AdamW with two groups, warmup-cosine, clipping,
// a NaN gradient the guard skips, float32 and bf16 with master weights) against torch, from code:
// the same as `npx cuoptim-parity run examples/parity/recipe.case.json --ref torch`.
//   node examples/parity/check.mjs        (needs a Python with torch: apt-get install python3-torch)
import { fileURLToPath } from "node:url";
import { formatReport, reference, replay } from "cuoptim/parity";

const casePath = fileURLToPath(new URL("./recipe.case.json", import.meta.url));
const torchTrajectory = reference(casePath, { ref: "torch" }); // runs torch now, with the shipped generator
const report = replay(casePath, torchTrajectory); // cuoptim on cpu and cuda-sim, in float32 and bfloat16
console.log(formatReport(report));
process.exitCode = report.pass ? 0 : 1;
