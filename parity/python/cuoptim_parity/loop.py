"""The training loop every reference generator runs around its own optimizer: a case's params
and gradients, clipping, the non-finite guard, the schedule, 16-bit params, and the snapshots
written as a trajectory (see the case schema in cuoptim's README, "Parity harness").

Per step, in this order (cuoptim's step does the same, fused):
  1. each param gets its gradient (synthetic or recorded; none when absent), in the case's dtype;
  2. guard: when any gradient holds NaN or Inf, the optimizer step is skipped (nothing changes);
  3. clip: torch.nn.utils.clip_grad_norm_ over the params with a gradient;
  4. the optimizer's step; 16-bit params without master weights are rounded to nearest-even
     (and their state too with stateDtype "param");
  5. the schedule steps (also after a skipped step, as a training loop calls it every step).
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np

from . import safetensors_io, synth

FORMAT = "cuoptim-parity-trajectory/1"
DTYPES = ("float32", "bfloat16", "float16")
NONFINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


class CaseError(Exception):
    """The case is not one this generator can run (exit code 2)."""


class MissingPackage(Exception):
    """A package the generator needs is not installed (exit code 3)."""


def numel(shape):
    return int(np.prod(shape, dtype=np.int64))


# cuoptim's options for 16-bit params: the loop emulates them, a reference is not given them.
PRECISION = {"masterWeights", "stateDtype", "stochasticRounding", "seed"}


def keyword_groups(groups, names, what, skip=()):
    """Param groups for a reference's constructor: each group's params and its cuoptim options
    renamed by `names` (cuoptim name -> keyword); an option the reference lacks is a CaseError."""
    out = []
    for i, g in enumerate(groups):
        kw = {}
        for k, v in g["options"].items():
            if k in PRECISION or k in skip:
                continue
            if k not in names:
                raise CaseError(f"groups[{i}].options.{k}: {what} has no such option")
            kw[names[k]] = tuple(v) if isinstance(v, list) else v
        out.append({"params": g["params"], **kw})
    return out


def construct(cls, groups, what, **kwargs):
    """cls(groups, **kwargs), with the reference's refusal of an option as a CaseError."""
    try:
        return cls(groups, **kwargs)
    except (TypeError, ValueError) as e:
        raise CaseError(f"{what} refused the options: {e}") from e


def modules(names, install):
    """Imports the packages a generator needs; a missing one is MissingPackage saying how to install it."""
    import importlib
    try:
        return [importlib.import_module(n) for n in names]
    except ImportError as e:
        raise MissingPackage(f"{e.name} is not installed ({install})") from e


class Grads:
    """The gradient of param i at a step: synthetic (seed, gradScale, absentAt, inject) or recorded."""

    def __init__(self, case, case_dir):
        self.case = case
        src = case["grads"]
        self.recorded = None
        self.init = {}
        if src.get("source") == "file":
            path = src["path"] if os.path.isabs(src["path"]) else os.path.join(case_dir, src["path"])
            tensors, _ = safetensors_io.read(path)
            self.recorded = {k: v[2] for k, v in tensors.items() if k.startswith("grad/")}
            self.init = {k[len("init/"):]: v[2] for k, v in tensors.items() if k.startswith("init/")}
        self.inject = src.get("inject", [])

    def initial(self, i, p):
        if p["name"] in self.init:
            return self.init[p["name"]].astype(np.float32).reshape(p["shape"])
        return synth.init_param(self.case["seed"], i, numel(p["shape"]), p.get("initScale", 1.0)).reshape(p["shape"])

    def at(self, step, i, p):
        if self.recorded is not None:
            g = self.recorded.get(f"grad/{step}/{p['name']}")
            if g is None:
                return None
            g = g.astype(np.float32).copy()
        else:
            if step in p.get("absentAt", []):
                return None
            g = synth.grad(self.case["grads"]["seed"], i, step, numel(p["shape"]), p.get("gradScale", 1.0))
        for inj in self.inject:
            if inj["param"] == p["name"] and inj["step"] == step:
                g[inj["index"]] = NONFINITE[inj["value"]]
        return g.reshape(p["shape"])


def normalize(case):
    """The defaults of the case schema (src-ts/parity/case.ts applies the same ones)."""
    case = dict(case)
    case.setdefault("options", {})
    case.setdefault("dtypes", ["float32"])
    case.setdefault("groups", [{"params": [p["name"] for p in case["params"]], "options": {}}])
    case.setdefault("stateAt", list(case["snapshots"]))
    case.setdefault("guard", any(True for _ in case["grads"].get("inject", [])))
    for d in case["dtypes"]:
        if d not in DTYPES:
            raise CaseError(f"dtypes: {d!r} is not one of {', '.join(DTYPES)}")
    return case


class Spec:
    """What a generator supplies: build(case, groups) -> optimizer, where groups are
    [{"params": [torch params], "options": the group's cuoptim options merged over the case's}];
    state(optimizer, param) -> {cuoptim state key: tensor or number}; pre_step(optimizer) runs
    right before each applied step; source names the reference for the trajectory's metadata;
    device is the torch device the params live on."""

    source = ""
    device = "cpu"

    def build(self, case, groups):
        raise NotImplementedError

    def state(self, optimizer, param):
        return {}

    def pre_step(self, optimizer):
        pass


def run(case, case_dir, spec):
    """Runs the case once per dtype; returns the trajectory's tensors and metadata."""
    import torch
    torch.set_num_threads(1)
    case = normalize(case)
    tensors = {}
    for dtype in case["dtypes"]:
        tensors.update(run_dtype(case, case_dir, spec, dtype))
    metadata = {"format": FORMAT, "case": json.dumps(case, sort_keys=True, separators=(",", ":")), "source": spec.source}
    return tensors, metadata


def run_dtype(case, case_dir, spec, dtype):
    import torch
    half = {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(dtype)
    precision = case["options"]
    if precision.get("stochasticRounding"):
        raise CaseError("options.stochasticRounding: the reference rounds to nearest-even only; stochastic rounding has no reference to compare with")
    master = bool(precision.get("masterWeights"))
    state_in_dtype = precision.get("stateDtype") == "param"

    def rounded(t):
        return t if half is None else t.to(half).to(torch.float32)

    def record(t):
        if half is None:
            return ("F32", list(t.shape), t.detach().cpu().numpy().astype("<f4"))
        return ("BF16" if dtype == "bfloat16" else "F16", list(t.shape),
                t.detach().cpu().to(half).view(torch.int16).numpy().view(np.uint16))

    grads = Grads(case, case_dir)
    names = [p["name"] for p in case["params"]]
    device = spec.device
    params = [torch.nn.Parameter(rounded(torch.from_numpy(grads.initial(i, p).copy())).to(device)) for i, p in enumerate(case["params"])]
    groups = [{"params": [params[names.index(n)] for n in g["params"]], "options": {**case["options"], **g.get("options", {})}}
              for g in case["groups"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "scheduler.step() before optimizer.step()" after a skipped first step
        optimizer = spec.build(case, groups)
        schedule = None
        if case.get("schedule"):
            from .schedules import build as build_schedule
            try:
                schedule = build_schedule(optimizer, case["schedule"])
            except (TypeError, ValueError, KeyError) as e:
                raise CaseError(f"schedule: {e}") from e
        out = {}
        for i, p in enumerate(params):
            out[f"{dtype}/init/{names[i]}"] = record(p)
        clip = case.get("clip")
        stepped = [0] * len(params)
        for step in range(1, case["steps"] + 1):
            for i, (p, spec_p) in enumerate(zip(params, case["params"])):
                g = grads.at(step, i, spec_p)
                p.grad = None if g is None else rounded(torch.from_numpy(g)).to(device)
            with_grad = [p for p in params if p.grad is not None]
            finite = all(bool(torch.isfinite(p.grad).all()) for p in with_grad)
            if finite or not case["guard"]:
                if clip and with_grad:
                    torch.nn.utils.clip_grad_norm_(with_grad, clip["maxNorm"], norm_type=float(clip.get("normType", 2)))
                spec.pre_step(optimizer)
                optimizer.step()
                for i, p in enumerate(params):
                    if p.grad is None:
                        continue
                    stepped[i] += 1
                    if half is not None and not master:
                        with torch.no_grad():
                            p.copy_(rounded(p))
                            if state_in_dtype:
                                for v in optimizer.state.get(p, {}).values():
                                    if torch.is_tensor(v) and v.shape == p.shape:
                                        v.copy_(rounded(v))
            if schedule is not None:
                schedule.step()
            if step in case["snapshots"]:
                for i, p in enumerate(params):
                    out[f"{dtype}/step/{step}/param/{names[i]}"] = record(p)
            if step in case["stateAt"]:
                for i, p in enumerate(params):
                    if stepped[i] == 0:
                        continue
                    prefix = f"{dtype}/step/{step}/state/{names[i]}"
                    out[f"{prefix}/step"] = ("F32", [], np.array(stepped[i], dtype="<f4"))
                    for key, v in spec.state(optimizer, p).items():
                        if torch.is_tensor(v):
                            in_dtype = state_in_dtype and half is not None and v.shape == p.shape
                            out[f"{prefix}/{key}"] = record(v) if in_dtype else ("F32", list(v.shape), v.detach().cpu().numpy().astype("<f4"))
                        else:
                            out[f"{prefix}/{key}"] = ("F32", [], np.array(v, dtype="<f4"))
                    if master and half is not None:
                        out[f"{prefix}/master"] = ("F32", list(p.shape), p.detach().cpu().numpy().astype("<f4"))
    return out


def main(make_spec, argv=None):
    """The command line every generator shares: CASE.json OUT.safetensors."""
    ap = argparse.ArgumentParser(description=(make_spec.__doc__ or "").strip().splitlines()[0] if make_spec.__doc__ else None)
    ap.add_argument("case", help="the parity case (JSON)")
    ap.add_argument("out", help="the trajectory to write (safetensors)")
    args = ap.parse_args(argv)
    try:
        with open(args.case) as f:
            case = json.load(f)
        spec = make_spec(case)
        tensors, metadata = run(case, os.path.dirname(os.path.abspath(args.case)), spec)
        safetensors_io.write(args.out, tensors, metadata)
    except CaseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except MissingPackage as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except (OSError, ValueError, KeyError) as e:
        print(f"error: {args.case}: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(args.out)
    return 0
