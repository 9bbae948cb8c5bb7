// test/hostile_args.test.ts — every public function and class of cuoptim, cuoptim's lr
// namespace and cuoptim/tfjs, called with hostile values in its first and second argument
// (undefined, null, {}, a BigInt, a string, NaN, a Tensor, [null], a Symbol, a function): each
// call must succeed or throw a CuoptimError, never a raw TypeError from deep inside. The table
// of names is taken from the modules' own exports, so a new export is covered the day it lands.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as cuoptim from "../src-ts/index.js";
import * as tfjs from "../src-ts/tfjs/index.js";
import { testDevices } from "./helpers/devices.js";

const HOSTILE: [string, () => unknown][] = [
  ["undefined", () => undefined],
  ["null", () => null],
  ["{}", () => ({})],
  ["1n", () => 1n],
  ['"x"', () => "x"],
  ["NaN", () => NaN],
  ["a Tensor", () => cuoptim.tensor(new Float32Array([1, 2, 3]), [3], { device: "cpu" })],
  ["[null]", () => [null]],
  ["a Symbol", () => Symbol("s")],
  ["a function", () => () => 0],
];

const entries: [string, unknown][] = [
  ...Object.entries(cuoptim).filter(([n]) => n !== "lr" && n !== "CuoptimError" && n !== "quant"),
  ...Object.entries(cuoptim.lr).map(([n, v]) => [`lr.${n}`, v] as [string, unknown]),
  ...Object.entries(cuoptim.quant).map(([n, v]) => [`quant.${n}`, v] as [string, unknown]),
  ...Object.entries(tfjs).map(([n, v]) => [`tfjs.${n}`, v] as [string, unknown]),
];
const callables = entries.filter(([, v]) => typeof v === "function") as [string, (...a: unknown[]) => unknown][];

for (const device of testDevices().filter((d) => d !== "cuda")) {
  test(`${device}: ${callables.length} exports x ${HOSTILE.length} hostile values in argument 1 and 2: CuoptimError or success, never a raw error`, () => {
    const valid = () => cuoptim.tensor(new Float32Array([1, 2, 3]), [3], { device });
    const raw: string[] = [];
    let calls = 0;
    for (const [name, fn] of callables) {
      const isClass = /^[A-Z]/.test(name.replace(/^\w+\./, ""));
      for (let position = 0; position < 2; position++) {
        for (const [label, make] of HOSTILE) {
          const args = position === 0 ? [make()] : [valid(), make()];
          calls++;
          try {
            if (isClass) new (fn as unknown as new (...a: unknown[]) => unknown)(...args);
            else fn(...args);
          } catch (e) {
            if (!(e instanceof cuoptim.CuoptimError)) raw.push(`${name}(${position ? "tensor, " : ""}${label}): ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message).slice(0, 100)}`);
          }
        }
      }
    }
    if (process.env.CUOPTIM_TEST_VERBOSE) console.log(`    ${device}: ${calls} hostile calls over ${callables.length} exports`);
    assert.equal(raw, [], `raw errors:\n${raw.join("\n")}`);
  });
}

test.run();
