// test/helpers/full_disk_child.ts — run under `ulimit -f` (with SIGXFSZ ignored, so an oversized
// write fails with EFBIG instead of killing the process): saves a checkpoint larger than the
// limit to argv[2] and prints the error's {code, message} as JSON.
import { CuoptimError, save, tensor } from "../../src-ts/index.js";

const big = tensor(new Float32Array(1 << 16).fill(1), [1 << 16], { device: "cpu" });
try {
  save(process.argv[2]!, { params: { big } });
  console.log(JSON.stringify({ code: "none", message: "saved" }));
} catch (e) {
  console.log(JSON.stringify({ code: e instanceof CuoptimError ? e.code : "not a CuoptimError", message: (e as Error).message }));
}
