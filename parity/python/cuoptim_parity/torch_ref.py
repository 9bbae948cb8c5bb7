"""Reference trajectories from torch.optim and torch.optim.lr_scheduler.

  python -m cuoptim_parity.torch_ref CASE.json OUT.safetensors

Every optimizer cuoptim mirrors from torch.optim (Adam, AdamW, SGD, RMSprop, RAdam, NAdam, Adamax,
Adagrad, Adadelta, Rprop, ASGD), run with foreach=False (torch's single-tensor loop, its CPU
default). Options are cuoptim's camelCase names. Where this torch lacks an option of torch >= 2.1
(RAdam/NAdam decoupledWeightDecay and maximize, before 2.1), it is emulated as 2.1 defines it:
each param with a gradient is first multiplied by 1 - lr * weight_decay (2.1's param.mul_), and
the gradient is negated (2.1's first line). Adagrad: torch fills every sum with the constructor's
initial_accumulator_value and ignores a group's own; cuoptim honours the group's, so each group's
sums are refilled with its value after construction.
"""
import inspect
import sys

from .loop import PRECISION, CaseError, Spec, construct, main, modules

# torch state key -> cuoptim state key, per optimizer.
STATE_KEYS = {
    "Adam": {"exp_avg": "expAvg", "exp_avg_sq": "expAvgSq", "max_exp_avg_sq": "maxExpAvgSq"},
    "AdamW": {"exp_avg": "expAvg", "exp_avg_sq": "expAvgSq", "max_exp_avg_sq": "maxExpAvgSq"},
    "SGD": {"momentum_buffer": "momentumBuffer"},
    "RMSprop": {"square_avg": "squareAvg", "grad_avg": "gradAvg", "momentum_buffer": "momentumBuffer"},
    "RAdam": {"exp_avg": "expAvg", "exp_avg_sq": "expAvgSq"},
    "NAdam": {"exp_avg": "expAvg", "exp_avg_sq": "expAvgSq", "mu_product": "muProduct"},
    "Adamax": {"exp_avg": "expAvg", "exp_inf": "expInf"},
    "Adagrad": {"sum": "sum"},
    "Adadelta": {"square_avg": "squareAvg", "acc_delta": "accDelta"},
    "Rprop": {"prev": "prev", "step_size": "stepSize"},
    "ASGD": {"ax": "ax", "eta": "eta"},
}
# State torch keeps as a 0-dim tensor and cuoptim as a number.
SCALAR_STATE = {"muProduct", "eta"}
OPTION_NAMES = {"lr": "lr", "betas": "betas", "eps": "eps", "weightDecay": "weight_decay", "amsgrad": "amsgrad",
                "maximize": "maximize", "momentum": "momentum", "dampening": "dampening", "nesterov": "nesterov",
                "alpha": "alpha", "centered": "centered", "momentumDecay": "momentum_decay", "lrDecay": "lr_decay",
                "initialAccumulatorValue": "initial_accumulator_value", "rho": "rho", "etas": "etas",
                "stepSizes": "step_sizes", "lambd": "lambd", "t0": "t0", "decoupledWeightDecay": "decoupled_weight_decay"}
NOT_HERE = {"LBFGS": "LBFGS steps with a closure that recomputes the loss, which a parity case has no way to give"}


class TorchSpec(Spec):
    def __init__(self, case):
        import torch
        name = case.get("optimizer")
        if name in NOT_HERE:
            raise CaseError(f"optimizer: {name}: {NOT_HERE[name]}")
        if name not in STATE_KEYS:
            raise CaseError(f"optimizer: torch.optim has no {name!r} that cuoptim mirrors "
                            f"(torch's are {', '.join(STATE_KEYS)}; other references: bitsandbytes_ref, transformers_ref, schedulefree_ref)")
        self.name = name
        self.cls = getattr(torch.optim, name)
        accepted = inspect.signature(self.cls.__init__).parameters
        # Options of torch >= 2.1 this torch lacks, emulated (see the module docstring).
        self.emulated = {o for o in ("decoupledWeightDecay", "maximize")
                         if name in ("RAdam", "NAdam") and OPTION_NAMES[o] not in accepted}
        self.accepted = accepted
        self.source = f"torch {torch.__version__} torch.optim.{name} (cuoptim_parity.torch_ref)"
        self.groups = []

    def kwargs(self, options, where):
        kw = {}
        for k, v in options.items():
            if k in PRECISION or k in self.emulated:
                continue
            if k not in OPTION_NAMES or OPTION_NAMES[k] not in self.accepted:
                raise CaseError(f"{where}.{k}: torch.optim.{self.name} has no such option")
            kw[OPTION_NAMES[k]] = tuple(v) if isinstance(v, list) else v
        if options.get("decoupledWeightDecay") and "decoupledWeightDecay" in self.emulated:
            kw["weight_decay"] = 0.0
        kw["foreach"] = False
        return kw

    def build(self, case, groups):
        torch_groups = [{"params": g["params"], **self.kwargs(g["options"], f"groups[{i}].options")} for i, g in enumerate(groups)]
        self.groups = groups
        optimizer = construct(self.cls, torch_groups, f"torch.optim.{self.name}")
        if self.name == "Adagrad":
            for g in optimizer.param_groups:
                for p in g["params"]:
                    optimizer.state[p]["sum"].fill_(g["initial_accumulator_value"])
        return optimizer

    def pre_step(self, optimizer):
        import torch
        if not self.emulated:
            return
        for g, spec in zip(optimizer.param_groups, self.groups):
            o = spec["options"]
            with torch.no_grad():
                for p in g["params"]:
                    if p.grad is None:
                        continue
                    if o.get("maximize") and "maximize" in self.emulated:
                        p.grad.neg_()
                    if o.get("decoupledWeightDecay") and "decoupledWeightDecay" in self.emulated and o.get("weightDecay", 0) != 0:
                        p.mul_(1 - g["lr"] * o["weightDecay"])

    def state(self, optimizer, param):
        import torch
        out = {}
        for k, v in optimizer.state.get(param, {}).items():
            key = STATE_KEYS[self.name].get(k)
            if key is None or v is None:
                continue
            out[key] = float(v.item()) if key in SCALAR_STATE else v
        return out


def make_spec(case):
    """torch.optim references for a cuoptim parity case."""
    modules(["torch"], "Debian/Ubuntu: apt-get install python3-torch; pip: pip install torch")
    return TorchSpec(case)


if __name__ == "__main__":
    sys.exit(main(make_spec))
