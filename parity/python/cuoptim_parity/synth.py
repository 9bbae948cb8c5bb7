"""Deterministic synthetic tensors for parity cases: initial params and gradients from a seed.

A counter-based hash maps (seed, stream, step, index) to a float32 in [-1, 1): the same integer
arithmetic is written in src-ts/parity/synth.ts, so a trajectory need not store the gradients it
was generated from. A value is u * scale, rounded to float32 once (exact in both languages:
the double product of two float32 values is exact, so rounding it once equals float32 math).
"""
import numpy as np

M32 = 0xFFFFFFFF


def _mix(x):
    # lowbias32 (Chris Wellons' hash prospector): a well-mixed 32-bit permutation.
    # x: a Python int or a numpy uint64 array holding 32-bit values.
    c = (lambda v: np.uint64(v)) if isinstance(x, np.ndarray) else (lambda v: v)
    m = c(M32)
    x = x & m
    x ^= x >> c(16)
    x = (x * c(0x7FEB352D)) & m
    x ^= x >> c(15)
    x = (x * c(0x846CA68B)) & m
    x ^= x >> c(16)
    return x


def uniform(seed, stream, step, n):
    """n float32 values in [-1, 1) for (seed, stream, step)."""
    idx = np.arange(n, dtype=np.uint64)
    key = _mix((seed * 0x9E3779B1 + stream * 0x85EBCA77 + step * 0xC2B2AE3D) & M32)
    h = _mix((idx * np.uint64(0x27D4EB2F) + np.uint64(key)) & np.uint64(M32))
    h = _mix(h ^ np.uint64(key))
    return ((h >> np.uint64(8)).astype(np.float64) / float(1 << 23) - 1.0).astype(np.float32)


def scaled(seed, stream, step, n, scale):
    return (uniform(seed, stream, step, n) * np.float32(scale)).astype(np.float32)


# Streams: params are stream 1000 + i at step 0; the grad of param i at step s is stream i.
def init_param(seed, i, n, scale=1.0):
    return scaled(seed, 1000 + i, 0, n, scale)


def grad(seed, i, step, n, scale):
    return scaled(seed, i, step, n, scale)
