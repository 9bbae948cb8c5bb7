// test/clone.test.ts — a Tensor does not cross threads by structured clone (postMessage,
// structuredClone): the clone would copy its fields, not its device memory. Where the runtime
// can refuse the clone (worker_threads.markAsUncloneable, Node >= 22.10), postMessage throws;
// where it cannot (Node 20), the copy is a plain object that every entry point refuses with a
// CuoptimError saying what it is.
import * as workerThreads from "node:worker_threads";
import { MessageChannel } from "node:worker_threads";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as cuoptim from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";

const refusable = typeof (workerThreads as { markAsUncloneable?: unknown }).markAsUncloneable === "function";
const isCloneError = (e: unknown) => e instanceof cuoptim.CuoptimError && /structured clone/.test((e as Error).message);

for (const device of testDevices()) {
  const t = () => cuoptim.tensor(new Float32Array([1, 2, 3]), [3], { device });

  (refusable ? test : test.skip)(`${device}: postMessage(tensor) throws a DataCloneError (markAsUncloneable)`, () => {
    const { port1, port2 } = new MessageChannel();
    try {
      assert.throws(() => port1.postMessage(t()), (e: unknown) => (e as Error).name === "DataCloneError");
      assert.throws(() => structuredClone(t()), (e: unknown) => (e as Error).name === "DataCloneError");
    } finally {
      port1.close();
      port2.close();
    }
  });

  (refusable ? test.skip : test)(`${device}: a Tensor's structured clone is refused by every entry point, naming what it is`, () => {
    const clone = structuredClone(t()) as unknown as cuoptim.Tensor;
    assert.not.instance(clone, cuoptim.Tensor);
    const p = t();
    const calls: [string, () => unknown][] = [
      ["SGD params", () => new cuoptim.SGD([clone])],
      ["grad", () => (p.grad = clone)],
      ["zerosLike", () => cuoptim.zerosLike(clone)],
      ["clipGradNorm", () => cuoptim.clipGradNorm([clone], 1)],
      ["quantizeBlockwise", () => cuoptim.quantizeBlockwise(clone)],
      ["EMA", () => new cuoptim.EMA([clone])],
    ];
    for (const [name, call] of calls) assert.throws(call, isCloneError, name);
  });
}

if (!refusable) console.log(`  (Node ${process.versions.node} has no worker_threads.markAsUncloneable: postMessage(tensor) cannot be refused; its plain-object copy is refused at use)`);

test.run();
