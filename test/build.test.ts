// test/build.test.ts — the fallback build (binding.gyp) compiles every host source the CMake
// build does, apart from the cuda backend, which only CMake builds; cuda-sim compiles every
// kernel file nvcc does; every element-wise op has a launcher on both.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".cc"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

test("binding.gyp lists every non-CUDA native source", () => {
  const gyp = readFileSync(join(root, "binding.gyp"), "utf8");
  const expected = [...sources("src-native"), ...sources("kernels/sim")].filter((f) => !f.startsWith("src-native/cuda/"));
  const missing = expected.filter((f) => !gyp.includes(`"${f}"`));
  assert.equal(missing, [], `missing from binding.gyp: ${missing.join(", ")}`);
});

test("cuda-sim compiles every kernels/cuda/*.cu that nvcc compiles", () => {
  const sim = readFileSync(join(root, "src-native/sim/kernels_sim.cc"), "utf8");
  const kernels = readdirSync(join(root, "kernels/cuda")).filter((f) => f.endsWith(".cu"));
  assert.ok(kernels.length > 0);
  const missing = kernels.filter((f) => !sim.includes(`#include "../../kernels/cuda/${f}"`));
  assert.equal(missing, [], `missing from src-native/sim/kernels_sim.cc: ${missing.join(", ")}`);
});

test("the element-wise launchers come from the op list, not from hand-written .cu files", () => {
  const sim = readFileSync(join(root, "src-native/sim/kernels_sim.cc"), "utf8");
  assert.match(sim, /^CUOPTIM_ELEMENTWISE_OPS\(CUOPTIM_DEFINE_ELEMENTWISE_LAUNCHER\)$/m);
  const cmake = readFileSync(join(root, "CMakeLists.txt"), "utf8");
  assert.match(cmake, /CUOPTIM_DEFINE_ELEMENTWISE_LAUNCHER\(\$\{CMAKE_MATCH_1\}, \$\{CMAKE_MATCH_2\}\)/);
  const handWritten = readdirSync(join(root, "kernels/cuda")).filter((f) => /^fused_.*\.cu$/.test(f));
  assert.equal(handWritten, []);
});

test.run();
