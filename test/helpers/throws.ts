// test/helpers/throws.ts — asserts that a call throws a CuoptimError with a given code and message.
import * as assert from "uvu/assert";
import { CuoptimError } from "../../src-ts/index.js";

export function throwsCode(fn: () => unknown, code: string, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, CuoptimError);
    assert.is((e as CuoptimError).code, code, (e as Error).message);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected ${code} matching ${pattern}`);
}
