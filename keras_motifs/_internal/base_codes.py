"""Base codes: one-hot DNA as 4-bit masks, one byte a position.

Each input row becomes a 4-bit mask (bit `b` set: base `b` of A, C, G, T
present) whose weight is `1 / popcount` on every set base, so one-hot rows,
all-zero rows (N as zeros) and uniform IUPAC rows (N as 0.25 each, R as 0.5
A + 0.5 G, ...) are represented exactly, in 32 times less memory than
float32 one-hot. `encode_codes` says when a batch holds anything else (then
it is scanned by the Keras path). Codes are always in A, C, G, T order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keras_motifs._internal.alphabet import ALPHABET, check_alphabet

N_CODES = 16

def _code_tables():
    bits = (np.arange(N_CODES)[:, None] >> np.arange(4)) & 1
    popcount = bits.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(popcount > 0, bits / popcount, 0.0)
    # Complementing swaps A (bit 0) with T (bit 3) and C (1) with G (2).
    complement = (bits[:, ::-1] << np.arange(4)).sum(axis=1)
    pure = np.full(N_CODES, -1, dtype=np.int8)
    pure[[1, 2, 4, 8]] = np.arange(4)
    return weights, complement.astype(np.uint8), pure


#: (16, 4): the weight of each base (A, C, G, T) in each code.
CODE_WEIGHTS, COMPLEMENT_CODES, PURE_BASE = _code_tables()


# ---------------------------------------------------------------------------
# Base codes.


def encode_codes(x, alphabet: str = ALPHABET) -> tuple[np.ndarray, bool]:
    """Per-position base codes of one-hot DNA, in A, C, G, T.

    Each position becomes a 4-bit mask: bit `b` is set where base `b` of
    A, C, G, T is present (A = 1, C = 2, G = 4, T = 8, N = 15 or 0). A row
    is represented exactly when its nonzero entries all equal
    `1 / (number of nonzero entries)`: a one-hot row, an all-zero row (N as
    zeros) or a uniform IUPAC row (N as 0.25 each, R as 0.5 A and 0.5 G).
    Any other row (arbitrary weights, negative values, NaN) makes `ok`
    False, and the batch must then be scanned with the dense Keras path.
    Channels are reordered from `alphabet` to A, C, G, T here.

    Args:
        x: One-hot DNA `(N, length, 4)`: a numpy array of floats, integers
            or booleans.
        alphabet: The channel order of `x`, a permutation of `"ACGT"`
            (`"AGCT"` for DeepSEA data).

    Returns:
        `(codes, ok)`: `codes` uint8 `(N, length)` and `ok` a bool, True
        when every row was represented exactly.

    Example:

    >>> codes, ok = encode_codes(np.eye(4)[None, [0, 1, 2, 3]])
    >>> codes.tolist(), ok
    ([[1, 2, 4, 8]], True)
    """
    alphabet = check_alphabet(alphabet)
    if not isinstance(x, np.ndarray):
        raise TypeError(
            "encode_codes expects a numpy array of one-hot DNA "
            f"(N, length, 4). Received: x={type(x).__name__}"
        )
    if x.ndim != 3 or x.shape[-1] != 4:
        raise ValueError(
            "encode_codes expects one-hot DNA of shape (N, length, 4). "
            f"Received: x.shape={x.shape}"
        )
    x = np.asarray(x)
    if x.dtype == np.bool_:
        x = x.view(np.uint8)
    elif x.dtype == np.float16:
        expected = np.array([0, 1, 1 / 2, 1 / 3, 1 / 4], np.float16)
        return _encode(x.astype(np.float32), alphabet, expected)
    elif not (np.issubdtype(x.dtype, np.floating)
              or np.issubdtype(x.dtype, np.integer)):
        raise TypeError(
            "encode_codes expects a numeric or boolean array. "
            f"Received: x.dtype={x.dtype}"
        )
    return _encode(x, alphabet, np.array([0, 1, 1 / 2, 1 / 3, 1 / 4]))


def _encode(x, alphabet, expected):
    order = np.array([alphabet.index(base) for base in ALPHABET], dtype=np.int64)
    # The uniform weight of a row with `p` bases, in the data's dtype.
    expected = expected.astype(x.dtype)
    codes = np.empty(x.shape[:2], dtype=np.uint8)
    bad = _encode_kernel(np.ascontiguousarray(x), order, expected, codes)
    return codes, not bad.any()


@njit(cache=True)
def _encode_kernel(x, order, expected, codes):
    # Serial: batches are encoded in the reading thread while the scan
    # kernels run in parallel on numba's pool; one pass costs ~1 ms a batch.
    n, length = x.shape[0], x.shape[1]
    bad = np.zeros(n, dtype=np.bool_)
    for s in range(n):
        for p in range(length):
            code = 0
            count = 0
            for b in range(4):
                if x[s, p, order[b]] != 0:
                    code |= 1 << b
                    count += 1
            weight = expected[count]
            for b in range(4):
                value = x[s, p, order[b]]
                if value != 0 and not value == weight:
                    bad[s] = True
            codes[s, p] = code
    return bad


