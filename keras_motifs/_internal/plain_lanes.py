"""The lane operations of `vectors.py` written as plain numba on arrays.

The one-hot engine's fallback (`onehot_kernels.scan_kernels`) when the
LLVM vector intrinsics do not compile, e.g. after a numba or llvmlite
upgrade changes the `extending` API they use. Each operation returns a new
`(BLOCK,)` array instead of a register value: the same IEEE sums in the
same order, so the same results, several times slower.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keras_motifs._internal.vectors import BLOCK


@njit(cache=True)
def vload(array, start):
    """`array[start:start + BLOCK]`, copied."""
    return array[start:start + BLOCK].copy()


@njit(cache=True)
def vrow(rows, scratch, q):
    """`vload(rows, q)` where `q >= 0`, else `vload(scratch, -1 - q)`."""
    if q >= 0:
        return vload(rows, q)
    return vload(scratch, -1 - q)


@njit(cache=True)
def vstore(array, start, vector):
    """`array[start:start + BLOCK] = vector`."""
    array[start:start + BLOCK] = vector


@njit(cache=True)
def fsplat(value):
    """A float32 lane array of `value`."""
    out = np.empty(BLOCK, np.float32)
    out[:] = value
    return out


@njit(cache=True)
def isplat(value):
    """An int32 lane array of `value`."""
    out = np.empty(BLOCK, np.int32)
    out[:] = value
    return out


@njit(cache=True)
def vadd(a, b):
    """Lane-wise float32 `a + b`."""
    out = np.empty(BLOCK, np.float32)
    for lane in range(BLOCK):
        out[lane] = a[lane] + b[lane]
    return out


@njit(cache=True)
def better(value, top):
    """Lane-wise `value > top` (False where either is NaN) as int32."""
    out = np.empty(BLOCK, np.int32)
    for lane in range(BLOCK):
        out[lane] = 1 if value[lane] > top[lane] else 0
    return out


@njit(cache=True)
def choose(mask, a, b):
    """Lane-wise `a if mask else b`."""
    out = np.empty_like(a)
    for lane in range(BLOCK):
        out[lane] = a[lane] if mask[lane] != 0 else b[lane]
    return out


LANES = dict(vload=vload, vrow=vrow, vstore=vstore, fsplat=fsplat,
             isplat=isplat, vadd=vadd, better=better, choose=choose)
