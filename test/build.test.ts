// test/build.test.ts — the fallback build (binding.gyp) compiles every host source the CMake
// build does, apart from the cuda backend, which only CMake builds.
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

test.run();
