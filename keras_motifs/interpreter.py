"""Conv1DInterpreter: the filters of a Conv1D layer as DNA motifs."""

from __future__ import annotations

import numpy as np

from keras_motifs import site_rules
from keras_motifs._internal import defaults
from keras_motifs._internal.activation_sums import ActivationSums
from keras_motifs._internal.alphabet import ALPHABET
from keras_motifs._internal.alphabet import channel_complement, check_alphabet
from keras_motifs._internal.alphabet import dna_channels_of, resolve_alphabet
from keras_motifs._internal.blocks import BlockCounts, BlockTally
from keras_motifs._internal.blocks import check_block_count
from keras_motifs._internal.checks import boolean, one_of, positive_int
from keras_motifs._internal.engine import batch_engine, check_engine
from keras_motifs._internal.engine import choose_engine
from keras_motifs._internal.engine import build_engine
from keras_motifs._internal.firing_tally import FiringPass, LabelRows
from keras_motifs._internal.geometry import ConvGeometry
from keras_motifs._internal.graph import check_activation_layer, conv_input
from keras_motifs._internal.graph import find_conv1d, find_layer, input_dtype
from keras_motifs._internal.graph import model_input, output_model
from keras_motifs._internal.graph import reads_model_input
from keras_motifs._internal.messages import print_msg
from keras_motifs._internal.receptive_field import receptive_field
from keras_motifs._internal.scan import replica_count
from keras_motifs.extraction import Extraction
from keras_motifs.analysis.firing import FiringStats
from keras_motifs.motifs import MotifSet
from keras_motifs.site_rules import SiteRule
from keras_motifs.sources import code_batches, fixed_batches, open_sequences
from keras_motifs.sources import prefetch

__all__ = ["Conv1DInterpreter"]



class Conv1DInterpreter:
    """Turns the filters of a model's Conv1D layer into DNA motifs.

    The empirical method: scan many sequences with each filter, keep per
    sequence the filter's maximum activation and its position; where the
    maximum is above a threshold, add the input window under the filter to
    the filter's count matrix (`nsites` counts the windows). The scan runs
    as one compiled function on the device, which reduces the activations
    to per-filter maxima and window sums before anything reaches the host.

    Windows are read from the layer's input with its padding, strides and
    dilation: output position `j` covers input positions
    `j * strides - pad_left + i * dilation_rate`. Positions that fall in the
    padding add nothing, so near the edges a count row may sum to less than
    `nsites`; `MotifSet.probabilities` normalises each row by its own sum.

    A Conv1D that does not read the input (a second layer) is read through
    its receptive field on the DNA, computed from the graph (convolutions,
    pooling, per-position layers and merged branches; layers that mix
    positions otherwise are refused): output position `j` covers the
    `geometry.kernel_size` input positions from
    `j * geometry.strides - geometry.pad_left(length)`.
    On Koo & Eddy's CNN-2, reproduced (`keras_motifs.analysis.motif_recovery`, 3
    seeds), the second layer's filters covered 11.7 of 12 planted motifs
    with the default null threshold against 3.7 with threshold 0 (the
    first layer's best: 2.3); `relative_threshold=0.7` covered as many
    with a higher match fraction.

    Args:
        model: A built Keras model whose input (or one of whose inputs) is
            one-hot DNA `(batch, length, 4)`, possibly with signal channels.
        layer: The Conv1D to interpret: `None` for the first one in
            topological order (nested models included), its name, its index
            among the model's Conv1D layers, or the layer itself.
        input: For a model with several inputs, the one whose windows are
            read: `None` for the one input the Conv1D is applied to (the
            error lists them when it reads several, as a Conv1D shared by
            a forward and a reverse-complement input does), or an input
            name or index. Only this input is needed; the others are not.
        dna_channels: For an input of more than 4 channels (DNA plus signal
            tracks), the four channels holding the DNA, in the alphabet's
            order, e.g. `range(4)`. Windows and motifs come from these; the
            other channels come from the data when it has them (data of
            exactly 4 channels get zeros there), and their mean over the
            positions of each filter's kept windows is kept as
            `Extraction.signal` (read along the strand, not complemented, on
            the reverse strand).
        alphabet: Channel order of the input, e.g. `"AGCT"` for DeepSEA
            data. `None` takes the order the sequences declare (an
            `.alphabet` attribute, as the DeepSEA loaders set) or `"ACGT"`.
            Motifs always come out in A, C, G, T order.
        activation_layer: Optionally a later layer with the same
            `(positions, filters)` output, e.g. the `Activation` after a
            `BatchNormalization`, whose output is scanned instead of the
            Conv1D's. Windows still follow the Conv1D's geometry. `None`
            (default) scans the Conv1D's own output: on Koo & Eddy's
            models, whose Conv1D is followed by BatchNormalization and
            ReLU (`keras_motifs.analysis.motif_recovery`), scanning the ReLU instead
            gave the same motifs under the default null threshold.
            `interpreter.activation_layer` is the scanned layer, `None`
            for the Conv1D.

    Example:

    >>> interpreter = Conv1DInterpreter(model)
    >>> extraction = interpreter.extract(x)         # x: (N, length, 4)
    >>> extraction.to_meme("motifs.meme")
    """

    def __init__(
        self,
        model,
        layer=None,
        *,
        input=None,
        dna_channels=None,
        alphabet=None,
        activation_layer=None,
    ):
        self.model = model
        self.layer = find_conv1d(model, layer)
        self.alphabet = None if alphabet is None else check_alphabet(alphabet)
        self.input_index = conv_input(model, self.layer, input)
        self.geometry = self._geometry()
        self.n_channels = int(model_input(model, self.input_index).shape[-1])
        self.dna_channels = dna_channels_of(dna_channels, self.n_channels)
        self.signal_channels = tuple(
            c for c in range(self.n_channels) if c not in self.dna_channels
        )
        target = self.layer
        if activation_layer is not None:
            target = find_layer(model, activation_layer)
        check_activation_layer(self.layer, target)
        self._target = target
        # The layer whose output is scanned, or None for the Conv1D's own.
        self.activation_layer = None if target is self.layer else target
        self.activation_model = output_model(model, target, self.input_index)
        self._functions = {}
        self.last_engine = None

    @property
    def n_filters(self) -> int:
        """Number of filters of the interpreted layer."""
        return int(self.layer.filters)

    @property
    def input_length(self):
        """Sequence length the model expects, or `None` if any."""
        return model_input(self.model, self.input_index).shape[1]

    def _geometry(self):
        """The Conv1D's own windows if it reads the input, else its
        receptive field through the layers on the way."""
        shape = tuple(model_input(self.model, self.input_index).shape)
        if (
            shape[-1] is None
            or shape[-1] < 4
            or self.layer.data_format != "channels_last"
        ):
            raise ValueError(
                f"Conv1D {self.layer.name!r} must scan channels-last one-hot "
                f"DNA (batch, length, 4), optionally with signal channels "
                f"after or between the four; the model input has shape "
                f"{shape} and the layer data_format "
                f"{self.layer.data_format!r}."
            )
        if reads_model_input(self.model, self.layer, self.input_index):
            return ConvGeometry.from_layer(self.layer)
        return receptive_field(self.model, self.layer, self.input_index)

    def _resolve_alphabet(self, sequences) -> str:
        return resolve_alphabet(self.alphabet, open_sequences(sequences).alphabet)

    def _scan_function(self, length, alphabet, strands, engine="keras"):
        keyed = strands == "both" or engine == "onehot"
        key = (length, alphabet if keyed else None, engine)
        if key in self._functions:
            return self._functions[key]
        self._check_length(length)
        # One-hot engines are rebuilt by each call (_start_engine): the
        # weights may have moved.
        self._functions[key] = build_engine(
            engine, length=length, alphabet=alphabet, strands=strands,
            conv=self.layer, target=self._target,
            activation_model=self.activation_model, geometry=self.geometry,
            dna_channels=self.dna_channels, n_channels=self.n_channels,
            count_inside=bool(self.signal_channels),
        )
        return self._functions[key]

    def _start_engine(self, engine, alphabet) -> str:
        """The engine this call runs (see `_internal/engine.py`); one-hot
        tables of an earlier call are dropped, the weights may have moved."""
        self._functions = {
            key: function for key, function in self._functions.items()
            if key[-1] != "onehot"
        }
        self._ran = set()
        limitation = None
        if not isinstance(self.geometry, ConvGeometry):
            limitation = "it reads the DNA through earlier layers"
        elif self.dna_channels != tuple(range(4)):
            limitation = f"dna_channels={self.dna_channels} reorders the channels"
        return choose_engine(
            engine, model_input(self.model, self.input_index), self.layer,
            self._target, alphabet, limitation=limitation,
        )

    def _batch_function(self, x, alphabet, strands):
        """The scan function for a batch: codes (2-D) go to the one-hot
        engine, one-hot rows to the Keras path."""
        engine = batch_engine(x)
        self._ran.add(engine)
        return self._scan_function(x.shape[1], alphabet, strands, engine)

    def _finish_engine(self, verbose):
        self.last_engine = "+".join(sorted(self._ran, reverse=True)) or None
        if verbose:
            print_msg(f"Conv1DInterpreter: scanned {self.layer.name!r} with "
                      f"the {self.last_engine} engine")

    def _thresholds(self, threshold) -> np.ndarray:
        thresholds = np.asarray(threshold, dtype="float32")
        if thresholds.shape not in ((), (self.n_filters,)):
            raise ValueError(
                f"threshold must be a number or one per filter "
                f"({self.n_filters} for Conv1D {self.layer.name!r}). "
                f"Received: threshold with shape {thresholds.shape}"
            )
        return np.array(np.broadcast_to(thresholds, (self.n_filters,)))

    def _check_length(self, length):
        if self.geometry.output_length(length) < 1:
            raise ValueError(
                f"Sequences of length {length} are too short for Conv1D "
                f"{self.layer.name!r}: its filters span {self.geometry.span} "
                f"positions (kernel_size {self.geometry.kernel_size}, "
                f"dilation_rate {self.geometry.dilation_rate}, padding "
                f"{self.geometry.padding!r}), so no window fits. Give "
                f"sequences of at least {self.geometry.span} positions."
            )

    def _batches(self, sequences, batch_size, alphabet, engine="keras"):
        batch_size = positive_int(batch_size, "batch_size")
        sequences = open_sequences(sequences)
        count = sequences.count
        if count:
            # A batch never holds more rows than there are sequences.
            batch_size = min(batch_size, count)
        # Under a tf.distribute strategy every replica gets a slice.
        replicas = replica_count()
        batch_size = -(-batch_size // replicas) * replicas
        options = dict(
            length=self.input_length,
            dtype=input_dtype(self.model, self.input_index),
            alphabet=alphabet,
        )
        if engine == "onehot":  # DNA only: the engine was chosen for it
            return prefetch(code_batches(sequences, batch_size, **options))
        return prefetch(
            fixed_batches(
                sequences,
                batch_size,
                channels=self.n_channels,
                dna_channels=self.dna_channels,
                **options,
            )
        )

    def scan(self, sequences, batch_size: int = 256, *, strands: str = "forward",
             engine: str = "auto", verbose: bool = False):
        """Each filter's maximum activation and its position per sequence.

        Args:
            sequences: One-hot DNA `(N, length, 4)`: anything
                `keras_motifs.sources.open_sequences` opens (a numpy array,
                h5py dataset, `tf.data.Dataset`, `keras.utils.PyDataset`,
                `GenomeIntervals`, a generator of `x` or `(x, y)` batches, a
                FASTA path, or the path of a `.npy`, `.npz`, HDF5 or DeepSEA
                `.mat` file).
            batch_size: Sequences per compiled call.
            strands: `"forward"`, or `"both"` to also scan each sequence's
                reverse complement and keep the larger maximum.
            engine: `"auto"`, `"keras"` or `"onehot"`, as for `extract`.
            verbose: Print which engine ran.

        Returns:
            `(max_activation, argmax)`, both `(N, filters)`; `argmax` is the
            output position of the maximum. With `strands="both"` a third
            array `(N, filters)` says which strand won (1 = reverse); the
            position of a reverse-strand maximum counts along the reverse
            complement.
        """
        check_strands(strands)
        verbose = boolean(verbose, "verbose")
        alphabet = self._resolve_alphabet(sequences)
        engine = self._start_engine(engine, alphabet)
        parts = []
        for x, n_valid in self._batches(sequences, batch_size, alphabet, engine):
            function = self._batch_function(x, alphabet, strands)
            best, position, strand = function.scan(x)
            parts.append((best[:n_valid], position[:n_valid], strand[:n_valid]))
        self._finish_engine(verbose)
        best, position, strand = (np.concatenate(p) for p in zip(*parts))
        if strands == "both":
            return best, position, strand
        return best, position

    def extract(
        self,
        sequences,
        *,
        site_rule: SiteRule | None = None,
        threshold: float | str | None = None,
        relative_threshold: float | None = None,
        strands: str = defaults.STRANDS,
        batch_size: int = 256,
        engine: str = "auto",
        verbose: bool = False,
        firing: bool = False,
        labels=None,
        blocks: int | None = None,
        relative_to: str = "zero",
        max_sites: int | None = None,
        null_sequences: int = site_rules.DEFAULT_NULL_SEQUENCES,
        null_seed: int = 0,
    ) -> Extraction:
        """Motifs of every filter from the windows under its maxima.

        For each sequence and filter, if the filter's maximum activation is
        above the cutoff, the input window under that maximum is added to
        the filter's counts and its `nsites` grows by one. The cutoff is
        `threshold`, or with `relative_threshold` the larger of `threshold`
        and that fraction of the filter's largest activation over all
        scanned sequences (the Basset rule). `threshold=0.0,
        strands="forward"` is the classic method for ReLU filters.

        The default, `threshold="null:0.01"` on the forward strand, keeps a
        sequence's maximum when at most 1 % of dinucleotide-shuffled
        sequences reach it. On Koo & Eddy's benchmark, reproduced
        (`keras_motifs.analysis.motif_recovery`), it covered as many planted motifs as
        the classic rule within the seeds' spread on CNN-50 (10.6 against
        10.8 of 12) and three times as many on CNN-2's second layer; on
        real DNA (`benchmarks/real_defaults.py`) its best match stayed
        within a factor 2.2 of the classic rule's while the best filter's
        sites from background fell from about half to a few per cent
        (README, "Choosing the defaults").

        Every rule ends as one absolute cutoff per filter
        (`keras_motifs.site_rules.SiteRule`); where the rule needs it, a
        first pass finds the cutoffs exactly (`site_cutoffs`), then one
        counting pass keeps the maxima strictly above them.

        Args:
            sequences: One-hot DNA, as for `scan`.
            site_rule: Optionally the whole rule as a
                `keras_motifs.site_rules.SiteRule`, instead of its options
                below (`threshold` to `null_seed`); not both.
            threshold: Absolute activation cutoff (strictly above counts):
                `"null:P"`: per filter the activation that the maxima of
                dinucleotide-shuffled copies of the first `null_sequences`
                sequences exceed with probability `P` (see
                `site_cutoffs`); a number (`0.0` is the classic rule,
                `-inf` keeps every sequence); or one number per filter.
                `None` (default): `"null:0.01"`, or `0.0` with
                `relative_threshold` or `max_sites` (those rules' base in
                the field).
            relative_threshold: Optional fraction in (0, 1) of each
                filter's maximum (of the way from its mean to its maximum
                with `relative_to="mean"`).
            strands: `"forward"` (default) scans the sequences as given;
                `"both"`: per sequence and filter the strand with the larger
                maximum supplies the window, read from that strand, so a
                motif is counted in one orientation.
            batch_size: Sequences per compiled call.
            engine: `"auto"` (default): the one-hot engine on the CPU where
                the layers and the data allow it, else the compiled Keras
                path; `"keras"`; or `"onehot"` (a `ValueError` says why
                where it cannot run). Batches whose rows base codes cannot
                hold exactly (arbitrary float weights) always take the
                Keras path. `last_engine` then says which ran.
            verbose: Print which engine ran.
            firing: Also gather, in the same scan, where and for whom each
                filter fires: `Extraction.firing`, a
                `keras_motifs.analysis.firing.FiringStats` (kept-site positions and
                strands; with `labels`, per target the fraction of
                positives and negatives where the filter fires and the
                ROC AUC of its maximum), counting the very sites of
                `nsites`.
            labels: Optionally `(N,)` or `(N, targets)` 0/1 labels, row for
                row with the sequences (numpy, h5py); implies `firing`.
            blocks: Optionally a number of blocks (at least 2): the counts
                and nsites are also kept per block of sequences, as
                `Extraction.blocks` (a `keras_motifs.analysis.bootstrap.BlockCounts`),
                for `keras_motifs.analysis.bootstrap.bootstrap`. With a known number
                of sequences `N`, block `b` holds sequences
                `b * ceil(N / blocks)` to `(b + 1) * ceil(N / blocks)`
                whatever the batch size; otherwise (a generator) batch `k`
                goes to block `k % blocks`.
            relative_to: `"zero"` (default): the cutoff is
                `relative_threshold * max`; `"mean"`: Basset's
                `mean + relative_threshold * (max - mean)`, the mean over
                every activation of every scanned sequence.
            max_sites: At most this many sites per filter, those with the
                largest maxima among those the other rules keep
                (`threshold=-inf`: EUGENe's top N).
            null_sequences: Size of the null sample of `"null:P"`: the
                first `null_sequences` sequences, or each sequence shuffled
                several times in turn where there are fewer.
            null_seed: Seed of the null sample's shuffle.

        The null rule reads its sample (the first `null_sequences`
        sequences) before counting. A relative threshold, Basset's rule and
        `max_sites` read all the data twice (a first pass resolves exact
        cutoffs, see `site_cutoffs`). A generator is read once: what the
        first pass needs of it (the null sample, or all of it) is kept in
        memory (`SiteRule.sources`); larger data should come as an h5py
        dataset, a FASTA path, a `PyDataset` or a `tf.data.Dataset`.

        Returns:
            A `keras_motifs.Extraction`: its `motifs`, a `MotifSet` with
            counts `(filters, kernel_size, 4)` in A, C, G, T order and
            `nsites` per filter; the `cutoffs` the sites passed, the
            `engine` that ran, and as asked `firing`, `blocks` and, with
            signal channels, their mean under each filter's sites
            (`signal`).

        Example:

        >>> interpreter.extract(x).to_meme("motifs.meme")
        >>> extraction = interpreter.extract(x, labels=y)   # y: (N, targets)
        >>> names, auc = extraction.firing.best_target()
        """
        options = check_extract_options(
            site_rule=site_rule,
            threshold=threshold,
            relative_threshold=relative_threshold,
            strands=strands,
            batch_size=batch_size,
            engine=engine,
            relative_to=relative_to,
            max_sites=max_sites,
            null_sequences=null_sequences,
            null_seed=null_seed,
        )
        rule = options["rule"]
        verbose = boolean(verbose, "verbose")
        blocks = check_block_count(blocks)
        firing = boolean(firing, "firing") or labels is not None
        first, sequences = rule.sources(sequences)
        tally = None
        if firing:
            rows = None if labels is None else LabelRows(labels, sequences.count)
            tally = FiringPass(self.n_filters, self.geometry, rows)
        alphabet = self._resolve_alphabet(sequences)
        engine = self._start_engine(engine, alphabet)
        if rule.needs_first_pass:
            thresholds = self._site_cutoffs(first, alphabet, engine, options)
        else:
            thresholds = self._thresholds(rule.threshold)
        split = None if blocks is None else BlockTally(blocks, sequences.count)
        counts, nsites = self._count(
            sequences, alphabet, strands, batch_size, thresholds, engine, tally,
            split,
        )
        self._finish_engine(verbose)
        return self._extraction(
            counts, nsites, alphabet, cutoffs=thresholds, site_rule=rule,
            strands=strands, split=split,
            firing=None if tally is None else FiringStats(**tally.result()),
        )

    def site_cutoffs(self, sequences, **options) -> np.ndarray:
        """The per-filter cutoffs `extract` resolves for a site rule.

        Args:
            sequences: One-hot DNA, as for `scan`.
            **options: `extract`'s options (`threshold`,
                `relative_threshold`, `relative_to`, `max_sites`,
                `null_sequences`, `null_seed`, `strands`, `batch_size`,
                `engine`), or `site_rule`. For
                `"null:P"` the first `null_sequences` sequences are read,
                their DNA rows dinucleotide-shuffled with `null_seed` (signal
                channels stay in place) and scanned on the same strands and
                engine; the cutoff is the `(floor(P * n) + 1)`-th largest of
                their `n` maxima, so at most a fraction `P` lie above it.

        Returns:
            `(filters,)` float32: a filter's sites are the maxima strictly
            above its cutoff.

        Example:

        >>> interpreter.site_cutoffs(x, threshold="null:0.01")
        """
        rule = check_extract_options(**options)["rule"]
        null, stats = self.first_pass(sequences, **options)
        return rule.cutoffs(self._thresholds, stats, null)

    def first_pass(self, sequences, **options) -> tuple:
        """What a site rule's first pass gathers, before any cutoff.

        For sharded data: `extract_distributed` takes the null maxima from
        one shard, adds up the `SiteStats` of every shard (`+`) and gives
        both to `SiteRule.cutoffs`, so the cutoffs are those of one pass
        over all the data.

        Args:
            sequences: One-hot DNA, as for `scan`.
            **options: As for `site_cutoffs`.

        Returns:
            `(null_maxima, stats)`: `(null_sequences, filters)` maxima of
            the null sample for `"null:P"`, and the
            `keras_motifs.site_rules.SiteStats` of the data for a relative
            threshold or `max_sites`; each `None` where the rule does not
            need it.
        """
        options = check_extract_options(**options)
        sequences, _ = options["rule"].sources(sequences)
        alphabet = self._resolve_alphabet(sequences)
        engine = self._start_engine(options["engine"], alphabet)
        result = self._first_pass(sequences, alphabet, engine, options)
        self._finish_engine(False)
        return result

    def _site_cutoffs(self, sequences, alphabet, engine, options):
        """A first pass gathering what the rule needs, then the cutoffs."""
        rule = options["rule"]
        null, stats = self._first_pass(sequences, alphabet, engine, options)
        return rule.cutoffs(self._thresholds, stats, null)

    def _first_pass(self, sequences, alphabet, engine, options):
        """`(null maxima, SiteStats)` of a rule's first pass, each `None`
        where the rule does not need it."""
        rule, strands = options["rule"], options["strands"]
        size = options["batch_size"]

        def maxima(source):  # (x, n_valid, maxima of the real rows)
            for x, n_valid in self._batches(source, size, alphabet, engine):
                function = self._batch_function(x, alphabet, strands)
                yield x, n_valid, function.scan(x)[0][:n_valid]

        def sums():
            complement = None if strands == "forward" else channel_complement(
                alphabet, self.dna_channels, self.n_channels)
            return ActivationSums(self.activation_model, complement)

        null = stats = None
        if rule.null_probability is not None:
            null = site_rules.null_maxima(
                self._batches(sequences, size, alphabet), rule, maxima,
                self.dna_channels)
        if rule.reads_all_data_twice:
            stats = site_rules.data_stats(
                sequences, rule, maxima, sums=sums, alphabet=alphabet,
                dtype=input_dtype(self.model, self.input_index))
        return null, stats

    def _dna(self, counts, alphabet):
        """The DNA columns of summed windows `(..., filters, width *
        channels)`, in A, C, G, T order."""
        order = [alphabet.index(base) for base in ALPHABET]
        counts = counts.reshape(
            counts.shape[:-2] + (self.n_filters, self.geometry.kernel_size, -1))
        return counts[..., list(self.dna_channels)][..., order]

    def _extraction(self, counts, nsites, alphabet, **fields) -> Extraction:
        """The `Extraction` of summed windows `(filters, width * channels)`:
        DNA columns in A, C, G, T order as its `MotifSet`, signal channels
        as sums, and `fields` (cutoffs, rule, ...)."""
        motifs = MotifSet(self._dna(counts, alphabet), np.rint(nsites).astype(np.int64))
        split = fields.pop("split")
        if split is not None and split.counts is not None:
            fields["blocks"] = BlockCounts(self._dna(split.counts, alphabet),
                                           np.rint(split.nsites), split.sequences)
        if self.signal_channels:
            counts = counts.reshape(self.n_filters, self.geometry.kernel_size, -1)
            fields.update(
                signal_sums=counts[..., list(self.signal_channels)].sum(axis=1),
                # The last channel is the ones appended by the scan.
                signal_positions=np.rint(counts[..., -1].sum(axis=1)),
                signal_names=[f"channel{c}" for c in self.signal_channels],
            )
        return Extraction(motifs, engine=self.last_engine, **fields)

    def _count(self, sequences, alphabet, strands, batch_size, thresholds,
               engine="keras", tally=None, split=None):
        counts = 0.0
        nsites = 0.0
        for x, n_valid in self._batches(sequences, batch_size, alphabet, engine):
            function = self._batch_function(x, alphabet, strands)
            # With blocks, one count per block the batch's rows fall in.
            parts = [(None, x, n_valid)] if split is None else split.parts(x, n_valid)
            for block, rows, n_rows in parts:
                batch_counts, batch_sites, *scanned = function.count(
                    rows, n_rows, thresholds, maxima=tally is not None)
                if tally is not None:
                    tally.add(x.shape[1], n_rows, scanned, thresholds)
                counts = counts + batch_counts.astype(np.float64)
                nsites = nsites + batch_sites.astype(np.float64)
                if split is not None:
                    split.add(block, batch_counts, batch_sites, n_rows)
        return counts, nsites


STRANDS = ("forward", "both")


def check_extract_options(
    *,
    site_rule=None,
    threshold=None,
    relative_threshold=None,
    strands=defaults.STRANDS,
    batch_size=256,
    engine="auto",
    firing=False,
    labels=None,
    relative_to="zero",
    max_sites=None,
    null_sequences=site_rules.DEFAULT_NULL_SEQUENCES,
    null_seed=0,
) -> dict:
    """The options of `Conv1DInterpreter.extract`, checked.

    `MotifExtractor` checks its options with this at construction, so a bad
    option fails before training.

    Returns:
        The options as a dict: `rule`, the `SiteRule` (`site_rule` or one
        made of the rule's options), and the others checked.

    Example:

    >>> check_extract_options(threshold=0, strands="forward")["rule"].threshold
    0.0
    """
    return dict(
        rule=site_rules.site_rule(
            site_rule, threshold=threshold,
            relative_threshold=relative_threshold, relative_to=relative_to,
            max_sites=max_sites, null_sequences=null_sequences,
            null_seed=null_seed,
        ),
        strands=check_strands(strands),
        batch_size=positive_int(batch_size, "batch_size"),
        engine=check_engine(engine),
        firing=boolean(firing, "firing"),
        labels=None if labels is None else LabelRows(labels, None).labels,
    )


def check_strands(strands) -> str:
    """`strands`, checked: `"forward"` or `"both"`."""
    return one_of(strands, "strands", STRANDS)
