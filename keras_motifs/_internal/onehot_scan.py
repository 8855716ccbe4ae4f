"""A scan engine for one-hot DNA: table lookups instead of convolutions.

Because the input of a first-layer Conv1D is one-hot, the pre-activation of
filter `f` at output position `j` is a sum of kernel rows,

    conv[j, f] = b[f] + sum_i W[i, base(j * strides - pad_left + i * dilation), f],

one lookup and add per window position instead of a 4-channel dot product.
This module scans with precomputed tables of those rows, on the CPU with
numba, and gives the same results as `ScanFunction` (`_internal/scan.py`):

- **Base codes.** Each input row becomes a 4-bit mask (bit `b` set: base
  `b` of A, C, G, T present) whose weight is `1 / popcount` on every set
  base, so one-hot rows, all-zero rows (N as zeros) and uniform IUPAC rows
  (N as 0.25 each, R as 0.5 A + 0.5 G, ...) are represented exactly.
  `encode_codes` says when a batch holds anything else (then scan it with
  `ScanFunction`).
- **Tables.** `table[i, code, f] = sum_b weight(code, b) * W[i, b, f]`
  (16 codes), and for stretches of pure bases a table of the summed rows of
  each k-mer of window positions (`kmer=3`: 64 rows per group of 3 window
  positions, 9 adds instead of 26 for DanQ), falling back exactly to the
  per-position table where a k-mer holds a non-ACGT code. Positions in the
  padding have code 0 and add nothing, as zero padding does. The table is
  laid out in blocks of `BLOCK` filters (`onehot_kernels.py`), summed in
  vector registers.
- **Activation and BatchNormalization.** The scanned value is
  `act(scale[f] * conv + shift[f])` for a monotone non-decreasing `act`
  (see `ACTIVATIONS`). Its maximum over positions is `act` of the extreme
  of `conv` (the maximum where `scale > 0`, the minimum where
  `scale < 0`), so the kernel tracks only that and applies the affine map
  and the activation to one value. The position is the FIRST position of
  the maximum of the activated values, as `numpy.argmax` and `tf.argmax`
  give: where the activation is flat at the maximum (ReLU of an all-negative
  filter, a saturated sigmoid or tanh, a scale of 0), every position whose
  activated value ties counts, so the filter is rescanned up to its first
  tied position (for ReLU below 0 that is position 0).
- **Threads.** The kernels run in parallel over sequences (the counts over
  filters) on numba's thread pool: `NUMBA_NUM_THREADS` (or
  `numba.set_num_threads`) sets how many threads, and
  `NUMBA_THREADING_LAYER` which pool; the default is one per CPU core.

Outputs have the shapes and dtypes of `ScanFunction`'s, except that counts
are in A, C, G, T order whatever the data's alphabet (the codes are).
"""

from __future__ import annotations

import numbers

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, check_alphabet
from keras_motifs._internal.alphabet import complement_indices
from keras_motifs._internal.base_codes import CODE_WEIGHTS, COMPLEMENT_CODES
from keras_motifs._internal.base_codes import N_CODES
from keras_motifs._internal.checks import positive_int
from keras_motifs._internal.geometry import ConvGeometry
from keras_motifs._internal.onehot_fold import activation_id
from keras_motifs._internal.onehot_fold import find_plateau, fold_layers
from keras_motifs._internal.onehot_kernels import count_kernel
from keras_motifs._internal.onehot_kernels import engine_scan_kernel
from keras_motifs._internal.onehot_kernels import finish_kernel, row_table

#: k-mer length of the default table, the fastest measured on DanQ's first
#: layer (`benchmarks/bench_onehot.py`).
DEFAULT_KMER = 3
KMERS = (1, 2, 3)

# ---------------------------------------------------------------------------
# The scan function.


class OneHotScanFunction:
    """Scans base codes with table lookups; a drop-in for `ScanFunction`.

    `scan` and `count` take the codes of `encode_codes`
    (`(batch, input_length)` uint8, A, C, G, T) and return what
    `ScanFunction`'s methods return for the one-hot
    batch: the activated per-filter maxima, their first positions and the
    winning strand, the summed windows (in the data's channel order,
    `alphabet`) and sites.

    Args:
        kernel: `(kernel_size, 4, filters)` Conv1D kernel in A, C, G, T.
        bias: `(filters,)` Conv1D bias.
        scale: `(filters,)` multiplier after the bias (a folded
            BatchNormalization; ones without).
        shift: `(filters,)` offset after `scale` (zeros without).
        activation: One of `ACTIVATIONS`.
        geometry: The Conv1D's `ConvGeometry`.
        input_length: Sequence length of every batch.
        complement: `None` (or False) to scan one strand; True, or the
            complement channel indices `ScanFunction` takes, to scan each
            sequence's reverse complement too (codes are always A, C, G,
            T, so only whether it is given matters).
        plateau: Where the activation is flat, `(low, value_low, high,
            value_high)` from `find_plateau`; `None` for the engine's own
            (`from_layers` measures the Keras backend's).
        kmer: Window positions per table lookup for stretches of pure
            bases, 1 to 3 (default `DEFAULT_KMER`).
        alphabet: Channel order of the one-hot data the codes were made
            from: `count` gives the windows' columns in this order.

    Example:

    >>> scan = OneHotScanFunction.from_layers(model.get_layer("conv1d"))
    >>> codes, ok = encode_codes(x)
    >>> best, position, strand = scan.scan(codes)
    """

    def __init__(self, kernel, bias, scale, shift, activation: str,
                 geometry: ConvGeometry, input_length: int, *,
                 complement=None, plateau=None,
                 kmer: int = DEFAULT_KMER, alphabet: str = ALPHABET):
        if not isinstance(geometry, ConvGeometry):
            raise TypeError(
                "geometry must be a ConvGeometry. "
                f"Received: geometry={type(geometry).__name__}"
            )
        input_length = positive_int(input_length, "input_length")
        kernel = np.asarray(kernel, np.float64)
        if kernel.ndim != 3 or kernel.shape[1] != 4:
            raise ValueError(
                "kernel must have shape (kernel_size, 4, filters). "
                f"Received: kernel.shape={kernel.shape}"
            )
        if kernel.shape[0] != geometry.kernel_size:
            raise ValueError(
                f"kernel has width {kernel.shape[0]} but geometry.kernel_size "
                f"is {geometry.kernel_size}. Received: "
                f"kernel.shape={kernel.shape}"
            )
        filters = kernel.shape[2]
        vectors = {}
        for name, value in (("bias", bias), ("scale", scale),
                            ("shift", shift)):
            array = np.asarray(value, np.float64)
            if array.shape != (filters,):
                raise ValueError(
                    f"{name} must have shape ({filters},), one value per "
                    f"filter. Received: {name}.shape={array.shape}"
                )
            vectors[name] = array
        for name, array in (("kernel", kernel), *vectors.items()):
            if not np.all(np.isfinite(array)):
                raise ValueError(
                    f"{name} must be finite. Received: {name} with NaN or "
                    "infinite values"
                )
        self.act = activation_id(activation)
        self.activation = activation
        if kmer not in KMERS:
            raise ValueError(f"kmer must be one of {KMERS}. Received: "
                             f"kmer={kmer!r}")
        self.geometry = geometry
        self.input_length = input_length
        self.n_filters = filters
        self.n_positions = geometry.output_length(input_length)
        if self.n_positions < 1:
            raise ValueError(
                f"Sequences of {input_length} bp give no output position "
                f"for a {geometry.padding!r} Conv1D of span {geometry.span}. "
                f"Received: input_length={input_length}"
            )
        self.pad_left = geometry.pad_left(input_length)
        self.pad_right = geometry.pad_right(input_length)
        self.complement = _check_complement(complement)
        self.kmer = min(kmer, geometry.kernel_size)
        self.plateau = np.asarray(
            find_plateau(activation) if plateau is None else plateau,
            np.float32,
        )
        if self.plateau.shape != (4,):
            raise ValueError(
                "plateau must be (low, value_low, high, value_high). "
                f"Received: plateau={plateau!r}"
            )
        # A negative scale turns the maximum into a minimum: scan -conv.
        sign = np.where(vectors["scale"] < 0, -1.0, 1.0)
        self.scale = np.abs(vectors["scale"]).astype(np.float32)
        self.shift = vectors["shift"].astype(np.float32)
        self.bias = (sign * vectors["bias"]).astype(np.float32)
        rows = np.einsum("cb,ibf->icf", CODE_WEIGHTS, kernel) * sign
        self.table, self.offsets = row_table(rows, self.kmer)
        self.weights = CODE_WEIGHTS.astype(np.float32)
        # The A, C, G, T columns of the windows in the data's order (None:
        # the same order, nothing to copy).
        alphabet = check_alphabet(alphabet)
        self.columns = (None if alphabet == ALPHABET else
                        [ALPHABET.index(base) for base in alphabet])

    @classmethod
    def from_layers(cls, conv, batchnorm=None, activation_layer=None, *,
                    input_length: int | None = None, alphabet: str = ALPHABET,
                    complement=None,
                    kmer: int = DEFAULT_KMER) -> "OneHotScanFunction":
        """The engine for a Conv1D and its optional BN and activation.

        Args:
            conv: The first-layer `keras.layers.Conv1D`.
            batchnorm: Optional following `BatchNormalization`.
            activation_layer: Optional following `Activation` or `ReLU`.
            input_length: Sequence length; `None` takes the Conv1D's input
                length.
            alphabet: Channel order the model reads (the kernel is
                reordered to A, C, G, T, as `encode_codes` reorders data).
            complement: As in the constructor.
            kmer: As in the constructor.

        Returns:
            An `OneHotScanFunction`.

        Raises:
            UnsupportedLayers: the layers cannot be folded (see
                `fold_layers`); scan with `ScanFunction` instead.
        """
        folded = fold_layers(conv, batchnorm, activation_layer,
                             alphabet=alphabet)
        if input_length is None:
            input_length = conv.input.shape[1]
            if input_length is None:
                raise ValueError(
                    "The Conv1D accepts any length; pass input_length. "
                    "Received: input_length=None"
                )
        return cls(folded.kernel, folded.bias, folded.scale, folded.shift,
                   folded.activation, ConvGeometry.from_layer(conv),
                   input_length, complement=complement,
                   plateau=folded.plateau, kmer=kmer, alphabet=alphabet)

    # Pieces.

    def _check_codes(self, codes):
        if not isinstance(codes, np.ndarray) or codes.dtype not in (
            np.uint8, np.int8
        ):
            raise TypeError(
                "codes must be the uint8 array of encode_codes. Received: "
                f"codes={type(codes).__name__} of dtype "
                f"{getattr(codes, 'dtype', None)}"
            )
        if codes.ndim != 2 or codes.shape[1] != self.input_length:
            raise ValueError(
                f"codes must have shape (batch, {self.input_length}). "
                f"Received: codes.shape={codes.shape}"
            )
        codes = codes.view(np.uint8)
        if codes.size and codes.max() >= N_CODES:
            raise ValueError(
                "codes must be 4-bit base masks (0 to 15) from encode_codes. "
                f"Received: codes.max()={codes.max()}"
            )
        return codes

    def _padded(self, codes):
        """Padded codes, the reverse complements after the sequences."""
        n = codes.shape[0]
        strands = 1 if self.complement is None else 2
        length = self.pad_left + self.input_length + self.pad_right
        padded = np.zeros((strands * n, length), np.uint8)
        inside = slice(self.pad_left, self.pad_left + self.input_length)
        padded[:n, inside] = codes
        if strands == 2:
            padded[n:, inside] = COMPLEMENT_CODES[codes[:, ::-1]]
        return padded

    def _maxima(self, padded, n):
        args = (padded, self.table, self.offsets, self.kmer,
                self.geometry.kernel_size, self.bias, self.geometry.strides,
                self.geometry.dilation_rate)
        signed_best, signed_at = engine_scan_kernel()(*args, self.n_positions)
        best, position = finish_kernel(
            *args, signed_best, signed_at,
            self.scale, self.shift, self.act, self.plateau,
        )
        if self.complement is None:
            return best, position, np.zeros(best.shape, np.int8)
        strand = best[n:] > best[:n]
        return (
            np.where(strand, best[n:], best[:n]),
            np.where(strand, position[n:], position[:n]),
            strand.astype(np.int8),
        )


    def _thresholds(self, thresholds):
        thresholds = np.asarray(thresholds, np.float32)
        if thresholds.shape not in ((), (self.n_filters,)):
            raise ValueError(
                f"thresholds must be a number or one per filter "
                f"({self.n_filters},). Received: "
                f"thresholds.shape={thresholds.shape}"
            )
        return np.broadcast_to(thresholds, (self.n_filters,))

    def _valid(self, n, n_valid):
        if isinstance(n_valid, bool) or not isinstance(n_valid,
                                                       numbers.Integral):
            raise TypeError(f"n_valid must be an integer. Received: "
                            f"n_valid={n_valid!r}")
        if not 0 <= n_valid <= n:
            raise ValueError(f"n_valid must be in [0, {n}]. Received: "
                             f"n_valid={n_valid}")
        return np.arange(n) < n_valid

    # Entry points, as ScanFunction's.

    def scan(self, codes):
        """Per-filter maximum, first argmax and strand (1 = reverse).

        Args:
            codes: `(batch, input_length)` uint8 base codes.

        Returns:
            `(best, position, strand)`: float32, int32 and int8
            `(batch, filters)`. A reverse-strand position counts along the
            reverse complement.
        """
        codes = self._check_codes(codes)
        return self._maxima(self._padded(codes), codes.shape[0])

    def count(self, codes, n_valid: int, thresholds, maxima=False):
        """Summed windows `(filters, kernel_size * 4)` and sites of a batch.

        A sequence's window is summed for a filter when its maximum is
        strictly above the filter's threshold and the sequence is among
        the first `n_valid`.

        Args:
            codes: `(batch, input_length)` uint8 base codes.
            n_valid: How many leading sequences are real (the rest pad).
            thresholds: A number or one float per filter.
            maxima: Also return `scan`'s `(best, position, strand)`.

        Returns:
            `(counts, sites)`: float64 `(filters, kernel_size * 4)` in the
            data's channel order (`alphabet`) and float64 `(filters,)`.
        """
        codes = self._check_codes(codes)
        valid = self._valid(codes.shape[0], n_valid)
        thresholds = self._thresholds(thresholds)
        padded = self._padded(codes)
        best, position, strand = self._maxima(padded, codes.shape[0])
        kept = (best > thresholds[None, :]) & valid[:, None]
        counts = np.zeros((self.n_filters, self.geometry.kernel_size, 4))
        sites = np.zeros(self.n_filters)
        count_kernel(
            padded, codes.shape[0], position, strand.astype(np.int64), kept,
            self.weights, self.geometry.strides, self.geometry.dilation_rate,
            counts, sites,
        )
        if self.columns is not None:
            counts = counts[..., self.columns]
        counts = counts.reshape(self.n_filters, -1)
        if maxima:
            return counts, sites, best, position, strand
        return counts, sites

def _check_complement(complement):
    if complement is None or complement is False:
        return None
    if complement is True:
        return complement_indices(ALPHABET)
    indices = np.asarray(complement)
    if (indices.shape != (4,) or not np.issubdtype(indices.dtype, np.integer)
            or sorted(indices.tolist()) != [0, 1, 2, 3]
            or np.any(indices[indices] != np.arange(4))
            or np.any(indices == np.arange(4))):
        raise ValueError(
            "complement must be None, a bool, or the 4 complement channel "
            "indices of an alphabet (complement_indices). Received: "
            f"complement={complement!r}"
        )
    return indices

