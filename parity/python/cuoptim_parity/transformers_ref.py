"""Reference trajectories from transformers' Adafactor (transformers.optimization.Adafactor).

  python -m cuoptim_parity.transformers_ref CASE.json OUT.safetensors

The case's optimizer is "Adafactor" with options {"variant": "transformers", ...} (cuoptim's
camelCase names). State: exp_avg_sq_row / exp_avg_sq_col (factored), exp_avg_sq, exp_avg, as
cuoptim's expAvgSqRow, expAvgSqCol, expAvgSq, expAvg.
"""
import sys

from .loop import CaseError, Spec, construct, keyword_groups, main, modules

OPTION_NAMES = {"lr": "lr", "eps": "eps", "clipThreshold": "clip_threshold", "decayRate": "decay_rate", "beta1": "beta1",
                "weightDecay": "weight_decay", "scaleParameter": "scale_parameter", "relativeStep": "relative_step",
                "warmupInit": "warmup_init"}
STATE_KEYS = {"exp_avg_sq_row": "expAvgSqRow", "exp_avg_sq_col": "expAvgSqCol", "exp_avg_sq": "expAvgSq", "exp_avg": "expAvg"}


class TransformersSpec(Spec):
    def __init__(self, case, transformers, torch):
        if case.get("optimizer") != "Adafactor":
            raise CaseError(f"optimizer: the transformers reference runs Adafactor, not {case.get('optimizer')!r}")
        from transformers.optimization import Adafactor
        self.cls = Adafactor
        self.source = f"transformers {transformers.__version__} Adafactor on torch {torch.__version__} (cuoptim_parity.transformers_ref)"

    def build(self, case, groups):
        for i, g in enumerate(groups):
            if g["options"].get("variant") != "transformers":
                raise CaseError(f"groups[{i}].options.variant: the transformers reference needs \"transformers\"")
        kw_groups = keyword_groups(groups, OPTION_NAMES, "transformers' Adafactor", skip=("variant",))
        # transformers' constructor has lr=None as its default only from some versions on: pass it.
        defaults = {} if all("lr" in g for g in kw_groups) else {"lr": None}
        return construct(self.cls, kw_groups, "transformers' Adafactor", **defaults)

    def state(self, optimizer, param):
        return {STATE_KEYS[k]: v for k, v in optimizer.state.get(param, {}).items() if k in STATE_KEYS}


def make_spec(case):
    """transformers Adafactor references for a cuoptim parity case."""
    torch, transformers = modules(["torch", "transformers"], "pip install transformers")
    return TransformersSpec(case, transformers, torch)


if __name__ == "__main__":
    sys.exit(main(make_spec))
