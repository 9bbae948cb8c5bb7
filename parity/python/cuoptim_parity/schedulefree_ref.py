"""Reference trajectories from the schedulefree package (facebookresearch/schedule_free).

  python -m cuoptim_parity.schedulefree_ref CASE.json OUT.safetensors

AdamWScheduleFree and SGDScheduleFree in train mode (the params are the y sequence, as cuoptim's
are between train() and eval()). The trajectory holds params and step counts.
"""
import sys

from .loop import CaseError, MissingPackage, Spec, main

CLASSES = ("AdamWScheduleFree", "SGDScheduleFree")
OPTION_NAMES = {"lr": "lr", "betas": "betas", "eps": "eps", "weightDecay": "weight_decay", "momentum": "momentum",
                "warmupSteps": "warmup_steps", "r": "r", "weightLrPower": "weight_lr_power"}
PRECISION = {"masterWeights", "stateDtype", "stochasticRounding", "seed"}


class ScheduleFreeSpec(Spec):
    def __init__(self, case, schedulefree, torch):
        name = case.get("optimizer")
        if name not in CLASSES:
            raise CaseError(f"optimizer: the schedulefree reference runs {' or '.join(CLASSES)}, not {name!r}")
        self.cls = getattr(schedulefree, name)
        self.name = name
        version = getattr(schedulefree, "__version__", "(version unknown)")
        self.source = f"schedulefree {version} {name} on torch {torch.__version__} (cuoptim_parity.schedulefree_ref)"

    def build(self, case, groups):
        out = []
        for i, g in enumerate(groups):
            kw = {}
            for k, v in g["options"].items():
                if k in PRECISION:
                    continue
                if k not in OPTION_NAMES:
                    raise CaseError(f"groups[{i}].options.{k}: schedulefree's {self.name} has no such option")
                kw[OPTION_NAMES[k]] = tuple(v) if isinstance(v, list) else v
            out.append({"params": g["params"], **kw})
        try:
            optimizer = self.cls(out)
        except (TypeError, ValueError) as e:
            raise CaseError(f"schedulefree's {self.name} refused the options: {e}") from e
        optimizer.train()
        return optimizer


def make_spec(case):
    """schedulefree references for a cuoptim parity case."""
    try:
        import torch
        import schedulefree
    except ImportError as e:
        raise MissingPackage(f"{e.name} is not installed (pip install schedulefree)") from e
    return ScheduleFreeSpec(case, schedulefree, torch)


if __name__ == "__main__":
    sys.exit(main(make_spec))
