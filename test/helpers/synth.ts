// test/helpers/synth.ts — the synthetic tensors of parity cases (src-ts/parity/synth.ts), for the tests.
export { gradAt, initParam, scaled, uniform } from "../../src-ts/parity/synth.js";
