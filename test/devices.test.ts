// test/devices.test.ts — backends as this build and machine have them, and device mixing errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, backends, CuoptimError, isAvailable, resolveDevice, tensor, zeros } from "../src-ts/index.js";
import { native } from "../src-ts/native.js";

test("backends() lists cpu, cuda-sim and cuda, with a reason for each unavailable one", () => {
  const list = backends();
  assert.equal(list.map((b) => b.name), ["cpu", "cuda-sim", "cuda"]);
  assert.ok(list[0]!.available, "cpu is always available");
  for (const b of list) {
    if (!b.available) assert.ok(typeof b.reason === "string" && b.reason.length > 0, `${b.name} says why it is unavailable`);
  }
});

test("an unavailable cuda says which of the known causes it is, naming the driver floor where a driver is the cause", () => {
  const cuda = backends().find((b) => b.name === "cuda")!;
  if (cuda.available) return;
  // src-native/backends.cc (not built: CMake's or build-native.mjs's reason) and
  // src-native/cuda/cuda_backend.cc (built: what the CUDA runtime found).
  const causes = [
    /^this build of cuoptim does not include it: (the CUDA backend was switched off \(CUOPTIM_CUDA=OFF\)|nvcc was not found when it was built|no NVIDIA GPU or driver was found when it was built|the node-gyp fallback build has no CUDA backend|the linux-arm64 build has no cuda backend|its CUDA build failed)/,
    /^no NVIDIA driver found \(this build needs CUDA \d+\.\d+, that is NVIDIA driver >= \d+\)$/,
    /^the NVIDIA driver supports CUDA \d+\.\d+ only; this build needs CUDA \d+\.\d+, that is NVIDIA driver >= \d+$/,
    /^no CUDA device found$/,
    /^the NVIDIA kernel driver and user-space driver versions differ$/,
    /^the CUDA runtime failed to start: /,
  ];
  assert.ok(causes.some((c) => c.test(cuda.reason!)), cuda.reason);
});

test('"auto" is cuda when usable, else cpu', () => {
  assert.is(resolveDevice("auto"), isAvailable("cuda") ? "cuda" : "cpu");
});

if (!isAvailable("cuda")) {
  test("using cuda where it is unavailable fails with the reason", () => {
    const reason = backends().find((b) => b.name === "cuda")!.reason!;
    for (const make of [() => zeros([2], { device: "cuda" }), () => new native.Tensor("cuda", "float32", [2])]) {
      try {
        make();
        assert.unreachable("expected ERR_BACKEND_UNAVAILABLE");
      } catch (e) {
        assert.instance(e, CuoptimError);
        assert.is((e as CuoptimError).code, "ERR_BACKEND_UNAVAILABLE");
        assert.ok((e as Error).message.includes(reason), (e as Error).message);
      }
    }
  });
}

if (isAvailable("cuda-sim")) {
  const expectDevice = (fn: () => unknown, mentions: string) => {
    try {
      fn();
      assert.unreachable("expected ERR_DEVICE");
    } catch (e) {
      assert.instance(e, CuoptimError);
      assert.is((e as CuoptimError).code, "ERR_DEVICE", (e as Error).message);
      assert.ok((e as Error).message.includes(mentions), (e as Error).message);
    }
  };

  test("an optimizer's params share one device", () => {
    const a = zeros([2], { device: "cpu" });
    const b = zeros([2], { device: "cuda-sim" });
    expectDevice(() => new AdamW([a, b]), "params[1]");
    expectDevice(() => new AdamW([{ params: [a] }, { params: [b] }]), "paramGroups[1].params[0]");
    const opt = new AdamW([a]);
    expectDevice(() => opt.addParamGroup({ params: [b] }), "on cpu");
    assert.is(opt.paramGroups.length, 1);
  });

  test("a grad lives on its param's device", () => {
    const p = zeros([2], { device: "cuda-sim" });
    expectDevice(() => {
      p.grad = zeros([2], { device: "cpu" });
    }, "cuda-sim");
  });

  test("the native op refuses mixed devices before any launch", () => {
    const p = tensor(new Float32Array([1, 2]), [2], { device: "cuda-sim" });
    const g = tensor(new Float32Array([1, 1]), [2], { device: "cpu" });
    const m = zeros([2], { device: "cuda-sim" });
    const v = zeros([2], { device: "cuda-sim" });
    const opts = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradScale: 1, decoupled: true, amsgrad: false, maximize: false };
    expectDevice(() => native.optimizerStep("adam", [[p.native], [g.native], [m.native], [v.native], null], [1], [true], opts), "grads[0]");
    assert.equal([...p.toArray()], [1, 2]);
  });

  test("copies between devices go through the host", () => {
    const a = tensor(new Float32Array([1, 2, 3]), [3], { device: "cpu" });
    const b = zeros([3], { device: "cuda-sim" }).set(a);
    assert.equal([...b.toArray()], [1, 2, 3]);
    assert.throws(() => b.data, (e: unknown) => e instanceof CuoptimError && e.code === "ERR_DEVICE");
  });
}

test.run();
