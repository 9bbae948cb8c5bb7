"""cuoptim's LLM schedules as lr multipliers of the step, the formulas of src-ts/lr/llm.ts
(transformers' get_*_schedule_with_warmup functions), for torch's LambdaLR."""
import math


def warm(step, w):
    return step / max(1, w)


def warmup_cosine(a):
    w, t, m, c = a["warmupSteps"], a["totalSteps"], a.get("minRatio", 0.0), a.get("numCycles", 0.5)

    def f(step):
        if step < w:
            return warm(step, w)
        progress = min(1.0, (step - w) / max(1, t - w))
        return max(0.0, m + (1 - m) * 0.5 * (1 + math.cos(math.pi * c * 2 * progress)))
    return f


def warmup_linear(a):
    w, t, m = a["warmupSteps"], a["totalSteps"], a.get("minRatio", 0.0)
    return lambda step: warm(step, w) if step < w else m + (1 - m) * max(0.0, (t - step) / max(1, t - w))


def constant_with_warmup(a):
    w = a["warmupSteps"]
    return lambda step: warm(step, w) if step < w else 1.0


def inverse_sqrt(a):
    w = a["warmupSteps"]
    ts = a.get("timescale", w or 10_000)
    return lambda step: warm(step, w) if step < w else 1 / math.sqrt((step + ts - w) / ts)


def cosine_with_restarts(a):
    w, t, c, m = a["warmupSteps"], a["totalSteps"], a.get("numCycles", 1), a.get("minRatio", 0.0)

    def f(step):
        if step < w:
            return warm(step, w)
        progress = (step - w) / max(1, t - w)
        if progress >= 1:
            return m
        return m + (1 - m) * max(0.0, 0.5 * (1 + math.cos(math.pi * ((c * progress) % 1))))
    return f


def polynomial(a):
    w, t, p, e = a["warmupSteps"], a["totalSteps"], a.get("power", 1.0), a.get("endRatio", 0.0)

    def f(step):
        if step < w:
            return warm(step, w)
        if step > t:
            return e
        return (1 - e) * (1 - (step - w) / (t - w)) ** p + e
    return f


def wsd(a):
    w, s, d, m, shape = a["warmupSteps"], a["stableSteps"], a["decaySteps"], a.get("minRatio", 0.0), a.get("decayShape", "cosine")

    def f(step):
        if step < w:
            return warm(step, w)
        if step < w + s:
            return 1.0
        progress = min(1.0, (step - w - s) / d)
        value = 0.5 * (1 + math.cos(math.pi * progress)) if shape == "cosine" else 1 - progress if shape == "linear" else 1 - math.sqrt(progress)
        return m + (1 - m) * value
    return f


LLM = {"warmupCosine": warmup_cosine, "warmupLinear": warmup_linear, "constantWithWarmup": constant_with_warmup,
       "inverseSqrt": inverse_sqrt, "cosineWithRestarts": cosine_with_restarts, "polynomial": polynomial, "wsd": wsd}

# torch.optim.lr_scheduler argument names for cuoptim's camelCase ones.
SNAKE = {"stepSize": "step_size", "totalIters": "total_iters", "startFactor": "start_factor",
         "endFactor": "end_factor", "tMax": "T_max", "etaMin": "eta_min", "t0": "T_0", "tMult": "T_mult",
         "baseLr": "base_lr", "maxLr": "max_lr", "stepSizeUp": "step_size_up", "stepSizeDown": "step_size_down",
         "cycleMomentum": "cycle_momentum", "baseMomentum": "base_momentum", "maxMomentum": "max_momentum",
         "totalSteps": "total_steps", "pctStart": "pct_start", "annealStrategy": "anneal_strategy",
         "divFactor": "div_factor", "finalDivFactor": "final_div_factor", "threePhase": "three_phase",
         "thresholdMode": "threshold_mode", "minLr": "min_lr", "scaleMode": "scale_mode"}

TORCH = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
         "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR"]


def build(optimizer, spec):
    """A torch scheduler for a case's {"name", "options"} schedule (see the case schema)."""
    from torch.optim import lr_scheduler as L
    name, args = spec["name"], dict(spec.get("options", {}))
    if name in LLM:
        return L.LambdaLR(optimizer, LLM[name](args))
    if name == "SequentialLR":
        return L.SequentialLR(optimizer, [build(optimizer, s) for s in args["schedulers"]], milestones=args["milestones"])
    if name == "ChainedScheduler":
        return L.ChainedScheduler([build(optimizer, s) for s in args["schedulers"]])
    if name in TORCH:
        return getattr(L, name)(optimizer, **{SNAKE.get(k, k): v for k, v in args.items()})
    raise ValueError(f"schedule.name: {name!r} is not a schedule the harness can build")
