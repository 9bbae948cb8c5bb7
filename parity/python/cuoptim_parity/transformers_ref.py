"""Reference trajectories from transformers' Adafactor (transformers.optimization.Adafactor).

  python -m cuoptim_parity.transformers_ref CASE.json OUT.safetensors

The case's optimizer is "Adafactor" with options {"variant": "transformers", ...} (cuoptim's
camelCase names). State: exp_avg_sq_row / exp_avg_sq_col (factored), exp_avg_sq, exp_avg, as
cuoptim's expAvgSqRow, expAvgSqCol, expAvgSq, expAvg.
"""
import sys

from .loop import CaseError, MissingPackage, Spec, main

OPTION_NAMES = {"lr": "lr", "eps": "eps", "clipThreshold": "clip_threshold", "decayRate": "decay_rate", "beta1": "beta1",
                "weightDecay": "weight_decay", "scaleParameter": "scale_parameter", "relativeStep": "relative_step",
                "warmupInit": "warmup_init"}
STATE_KEYS = {"exp_avg_sq_row": "expAvgSqRow", "exp_avg_sq_col": "expAvgSqCol", "exp_avg_sq": "expAvgSq", "exp_avg": "expAvg"}
PRECISION = {"masterWeights", "stateDtype", "stochasticRounding", "seed"}


class TransformersSpec(Spec):
    def __init__(self, case, transformers, torch):
        if case.get("optimizer") != "Adafactor":
            raise CaseError(f"optimizer: the transformers reference runs Adafactor, not {case.get('optimizer')!r}")
        from transformers.optimization import Adafactor
        self.cls = Adafactor
        self.source = f"transformers {transformers.__version__} Adafactor on torch {torch.__version__} (cuoptim_parity.transformers_ref)"

    def build(self, case, groups):
        out = []
        for i, g in enumerate(groups):
            o = dict(g["options"])
            if o.pop("variant", None) != "transformers":
                raise CaseError(f"groups[{i}].options.variant: the transformers reference needs \"transformers\"")
            kw = {}
            for k, v in o.items():
                if k in PRECISION:
                    continue
                if k not in OPTION_NAMES:
                    raise CaseError(f"groups[{i}].options.{k}: transformers' Adafactor has no such option")
                kw[OPTION_NAMES[k]] = tuple(v) if isinstance(v, list) else v
            out.append({"params": g["params"], **kw})
        defaults = {"lr": None} if all("lr" not in g for g in out) else {}
        try:
            return self.cls(out, **defaults)
        except (TypeError, ValueError) as e:
            raise CaseError(f"transformers' Adafactor refused the options: {e}") from e

    def state(self, optimizer, param):
        return {STATE_KEYS[k]: v for k, v in optimizer.state.get(param, {}).items() if k in STATE_KEYS}


def make_spec(case):
    """transformers Adafactor references for a cuoptim parity case."""
    try:
        import torch
        import transformers
    except ImportError as e:
        raise MissingPackage(f"{e.name} is not installed (pip install transformers)") from e
    return TransformersSpec(case, transformers, torch)


if __name__ == "__main__":
    sys.exit(main(make_spec))
