"""Reference trajectories from bitsandbytes' 8-bit optimizers (needs bitsandbytes and, for its
8-bit kernels, a CUDA GPU).

  python -m cuoptim_parity.bitsandbytes_ref CASE.json OUT.safetensors

Adam8bit, AdamW8bit, Lion8bit and AdEMAMix8bit with blockwise quantization (cuoptim's only mode).
bitsandbytes keeps params under min8bitSize elements (cuoptim's option, bitsandbytes'
min_8bit_size, 4096 by default in both) in 32-bit state. The trajectory holds params and step
counts, not the 8-bit state: its layout (state1/state2, absmax, qmap) is bitsandbytes' own.
"""
import sys

from .loop import CaseError, MissingPackage, Spec, construct, keyword_groups, main, modules

CLASSES = {"Adam8bit": "Adam8bit", "AdamW8bit": "AdamW8bit", "Lion8bit": "Lion8bit", "AdEMAMix8bit": "AdEMAMix8bit"}
OPTION_NAMES = {"lr": "lr", "betas": "betas", "eps": "eps", "weightDecay": "weight_decay", "amsgrad": "amsgrad",
                "min8bitSize": "min_8bit_size", "alpha": "alpha", "tAlpha": "t_alpha", "tBeta3": "t_beta3"}


class BitsandbytesSpec(Spec):
    device = "cuda"

    def __init__(self, case, bnb, torch):
        name = case.get("optimizer")
        if name not in CLASSES or not hasattr(bnb.optim, CLASSES[name]):
            raise CaseError(f"optimizer: bitsandbytes {bnb.__version__} has no {name!r} (the 8-bit optimizers are {', '.join(CLASSES)})")
        if not torch.cuda.is_available():
            raise MissingPackage("bitsandbytes' 8-bit optimizers need a CUDA GPU, and torch finds none")
        self.cls = getattr(bnb.optim, CLASSES[name])
        self.name = name
        self.source = f"bitsandbytes {bnb.__version__} bnb.optim.{CLASSES[name]} on torch {torch.__version__} (cuoptim_parity.bitsandbytes_ref)"

    def build(self, case, groups):
        what = f"bitsandbytes' {self.name}"
        return construct(self.cls, keyword_groups(groups, OPTION_NAMES, what, skip=("blockSize",)), what)


def make_spec(case):
    """bitsandbytes 8-bit references for a cuoptim parity case."""
    torch, bnb = modules(["torch", "bitsandbytes"], "pip install bitsandbytes; it needs a CUDA build of torch")
    return BitsandbytesSpec(case, bnb, torch)


if __name__ == "__main__":
    sys.exit(main(make_spec))
