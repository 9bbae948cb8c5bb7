"""Reference trajectories from the schedulefree package (facebookresearch/schedule_free).

  python -m cuoptim_parity.schedulefree_ref CASE.json OUT.safetensors

AdamWScheduleFree and SGDScheduleFree in train mode (the params are the y sequence, as cuoptim's
are between train() and eval()). The trajectory holds params and step counts.
"""
import sys

from .loop import CaseError, Spec, construct, keyword_groups, main, modules

CLASSES = ("AdamWScheduleFree", "SGDScheduleFree")
OPTION_NAMES = {"lr": "lr", "betas": "betas", "eps": "eps", "weightDecay": "weight_decay", "momentum": "momentum",
                "warmupSteps": "warmup_steps", "r": "r", "weightLrPower": "weight_lr_power"}


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
        what = f"schedulefree's {self.name}"
        optimizer = construct(self.cls, keyword_groups(groups, OPTION_NAMES, what), what)
        optimizer.train()
        return optimizer


def make_spec(case):
    """schedulefree references for a cuoptim parity case."""
    torch, schedulefree = modules(["torch", "schedulefree"], "pip install schedulefree")
    return ScheduleFreeSpec(case, schedulefree, torch)


if __name__ == "__main__":
    sys.exit(main(make_spec))
