// test/devices.test.ts — backends as this build and machine have them, and device mixing errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, backends, CuoptimError, deviceCount, deviceKind, isAvailable, memoryStats, resolveDevice, tensor, zeros, type Device } from "../src-ts/index.js";
import { native } from "../src-ts/native.js";

// fn() fails with ERR_DEVICE, its message mentioning `mentions`.
function expectDevice(fn: () => unknown, mentions: string): void {
  try {
    fn();
    assert.unreachable("expected ERR_DEVICE");
  } catch (e) {
    assert.instance(e, CuoptimError);
    assert.is((e as CuoptimError).code, "ERR_DEVICE", (e as Error).message);
    assert.ok((e as Error).message.includes(mentions), (e as Error).message);
  }
}

// A native Adam step whose param (and state) is on `device` and whose grad is on `gradDevice`
// fails with ERR_DEVICE mentioning `mentions`, before the param changes.
function nativeStepRefusesGradOn(device: Device, gradDevice: Device, mentions: string): void {
  const p = tensor(new Float32Array([1, 2]), [2], { device });
  const g = tensor(new Float32Array([1, 1]), [2], { device: gradDevice });
  const m = zeros([2], { device });
  const v = zeros([2], { device });
  const opts = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradScale: 1, decoupled: true, amsgrad: false, maximize: false };
  expectDevice(() => native.optimizerStep("adam", [[p.native], [g.native], [m.native], [v.native], null], [1], [true], opts), mentions);
  assert.equal([...p.toArray()], [1, 2]);
}

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

  test("the native op refuses mixed devices before any launch", () => nativeStepRefusesGradOn("cuda-sim", "cpu", "grads[0]"));

  test("copies between devices go through the host", () => {
    const a = tensor(new Float32Array([1, 2, 3]), [3], { device: "cpu" });
    const b = zeros([3], { device: "cuda-sim" }).set(a);
    assert.equal([...b.toArray()], [1, 2, 3]);
    assert.throws(() => b.data, (e: unknown) => e instanceof CuoptimError && e.code === "ERR_DEVICE");
  });
}

test('device names: "kind" or "kind:N" for cuda and cuda-sim; anything else is ERR_DEVICE naming the argument', () => {
  for (const bad of ["cuda:x", "cuda:", "cuda:-1", "cuda:01", "cpu:0", "gpu", "cuda-sim:1.5", "CUDA", " cuda", "cuda:1234567"]) {
    try {
      resolveDevice(bad as Device, "options.device");
      assert.unreachable(`expected ERR_DEVICE for ${JSON.stringify(bad)}`);
    } catch (e) {
      assert.instance(e, CuoptimError);
      assert.is((e as CuoptimError).code, "ERR_DEVICE", (e as Error).message);
      assert.ok((e as Error).message.startsWith("options.device: "), (e as Error).message);
    }
    assert.throws(() => new native.Tensor(bad as Device, "float32", [1]), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_DEVICE");
    assert.is(isAvailable(bad as Device), false, bad);
    assert.throws(() => deviceKind(bad as Device), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_DEVICE");
  }
});

test("deviceKind() and deviceCount(): the simulator has four devices; cuda as many GPUs as are usable", () => {
  assert.is(deviceKind("cuda:3"), "cuda");
  assert.is(deviceKind("cuda-sim:2"), "cuda-sim");
  assert.is(deviceKind("cuda-sim"), "cuda-sim");
  assert.is(deviceKind("cpu"), "cpu");
  assert.is(deviceCount("cpu"), 1);
  assert.is(deviceCount("cuda-sim"), 4);
  if (!isAvailable("cuda")) assert.is(deviceCount("cuda"), 0);
  else assert.ok(deviceCount("cuda") >= 1);
});

if (!isAvailable("cuda")) {
  test('"cuda:N" where cuda is unavailable fails with cuda\'s reason', () => {
    const reason = backends().find((b) => b.name === "cuda")!.reason!;
    for (const d of ["cuda:0", "cuda:1"] as const) {
      assert.is(isAvailable(d), false);
      try {
        zeros([2], { device: d });
        assert.unreachable("expected ERR_BACKEND_UNAVAILABLE");
      } catch (e) {
        assert.is((e as CuoptimError).code, "ERR_BACKEND_UNAVAILABLE", (e as Error).message);
        assert.ok((e as Error).message.includes(`"${d}" is not available`) && (e as Error).message.includes(reason), (e as Error).message);
      }
    }
  });
}

if (isAvailable("cuda-sim")) {
  test('"cuda-sim:N": the default device reports "cuda-sim"; devices beyond the four are unavailable, with the reason', () => {
    assert.is(resolveDevice("cuda-sim:0"), "cuda-sim");
    assert.is(resolveDevice("cuda-sim:3"), "cuda-sim:3");
    assert.is(zeros([1], { device: "cuda-sim:0" }).device, "cuda-sim");
    assert.is(zeros([1], { device: "cuda-sim:2" }).device, "cuda-sim:2");
    try {
      zeros([1], { device: "cuda-sim:4" });
      assert.unreachable("expected ERR_BACKEND_UNAVAILABLE");
    } catch (e) {
      assert.is((e as CuoptimError).code, "ERR_BACKEND_UNAVAILABLE");
      assert.ok((e as Error).message.includes("the simulator has 4 devices (cuda-sim:0 to cuda-sim:3)"), (e as Error).message);
    }
  });

  test("each simulated device has its own memory counters", () => {
    const before1 = memoryStats("cuda-sim:1").current.total;
    const before0 = memoryStats("cuda-sim").current.total;
    const t = zeros([1000], { device: "cuda-sim:1" });
    assert.is(memoryStats("cuda-sim:1").current.total - before1, 4000);
    assert.is(memoryStats("cuda-sim").current.total, before0);
    t.free();
    assert.is(memoryStats("cuda-sim:1").current.total, before1);
  });

  test("tensors of different devices of one kind do not mix, and the errors name the devices", () => {
    const a = zeros([2], { device: "cuda-sim" });
    const b = zeros([2], { device: "cuda-sim:1" });
    expectDevice(() => new AdamW([a, b]), "params[1]");
    expectDevice(() => {
      a.grad = zeros([2], { device: "cuda-sim:1" });
    }, "cuda-sim:1");
    nativeStepRefusesGradOn("cuda-sim:1", "cuda-sim", "cuda-sim:1");
  });

  test("an optimizer on cuda-sim:2 steps to the bits of one on cuda-sim, its state on cuda-sim:2", () => {
    const run = (device: Device): [Float32Array, AdamW] => {
      const p = tensor(new Float32Array([0.5, -1, 2, 3]), [4], { device });
      const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.1 });
      for (let s = 0; s < 3; s++) {
        p.grad = tensor(new Float32Array([0.1 * s, -0.2, 0.3, 1e-3]), [4], { device });
        opt.step();
      }
      return [p.toArray() as Float32Array, opt];
    };
    const [x0] = run("cuda-sim");
    const [x2, opt2] = run("cuda-sim:2");
    assert.equal([...x2], [...x0]);
    const state = [...opt2.state.values()][0]!;
    assert.is(state.tensors.expAvg!.device, "cuda-sim:2");
  });
}

test.run();
