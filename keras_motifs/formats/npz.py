"""Lossless `.npz` files of a `MotifSet` (and an extraction's block counts)."""

from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np

from keras_motifs._internal.blocks import BlockCounts
from keras_motifs._internal.checks import boolean
from keras_motifs._internal.files import write_atomically
from keras_motifs.formats.common import (
    check_path,
    writable,
)
from keras_motifs.extraction import Extraction, as_motif_set
from keras_motifs.motifs import MotifSet

__all__ = ["read_extraction", "read_npz", "write_npz"]

_NPZ_FORMAT = "keras-motifs MotifSet"
_NPZ_VERSION = 1
_NPZ_KEYS = ("format", "counts", "nsites", "filters", "names", "alt_names",
             "background", "bounds")
_OPTIONAL_KEYS = ("version", "block_counts", "block_nsites", "block_sequences")


def write_npz(motifs: MotifSet | Extraction, path, *, keep_empty: bool = True) -> str:
    """Writes motifs losslessly to a compressed numpy `.npz` file.

    Stores counts, nsites, filters, names, alternate names (`""` for none),
    background and bounds as they are, so `read_npz` gives an equal set, and
    sets of scans of the same layer read back can be merged with `+`. Of an
    `Extraction` of `extract(..., blocks=B)`, the block counts are written
    too (`block_counts`, `block_nsites`, `block_sequences`), and
    `read_extraction` reads them back for `keras_motifs.analysis.bootstrap`. Unlike
    the other writers it keeps motifs with `nsites == 0` by default: leaving
    them out would change the filters and prevent merging.

    Args:
        motifs: A `MotifSet`, or an `Extraction` (its motifs and blocks).
        path: Output file (str or path-like), usually `*.npz`.
        keep_empty: Whether to keep motifs with `nsites == 0`.

    Returns:
        `path` as a string.

    Example:

    >>> write_npz(MotifSet(np.ones((2, 5, 4))), "motifs.npz")
    'motifs.npz'
    """
    found = motifs.blocks if isinstance(motifs, Extraction) else None
    motifs = as_motif_set(motifs)
    check_path(path)
    if not boolean(keep_empty, "keep_empty"):
        kept = motifs.nsites > 0
        motifs = writable(motifs, path, keep_empty)
        if found is not None:
            found = BlockCounts(found.counts[:, kept], found.nsites[:, kept],
                                found.sequences)
    blocks = {}
    if found is not None:
        blocks = dict(block_counts=found.counts, block_nsites=found.nsites)
        if found.sequences is not None:
            blocks["block_sequences"] = found.sequences
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        format=np.array(_NPZ_FORMAT),
        version=np.array(_NPZ_VERSION),
        counts=motifs.counts,
        nsites=motifs.nsites,
        filters=motifs.filters,
        names=np.array(motifs.names, dtype=np.str_).reshape(len(motifs)),
        alt_names=np.array([name or "" for name in motifs.alt_names],
                           dtype=np.str_).reshape(len(motifs)),
        background=motifs.background,
        bounds=motifs.bounds,
        **blocks,
    )
    return write_atomically(path, buffer.getvalue())


def read_npz(path) -> MotifSet:
    """Reads the motifs written by `write_npz`.

    Args:
        path: An `.npz` file (str or path-like) written by `write_npz`.

    Returns:
        The `MotifSet` that was written, equal in every attribute.

    Example:

    >>> read_npz("motifs.npz").counts.shape
    (2, 5, 4)
    """
    return _read(path).motifs


def read_extraction(path) -> Extraction:
    """Reads the motifs and block counts written by `write_npz`.

    Args:
        path: An `.npz` file (str or path-like) written by `write_npz`,
            e.g. by `keras-motifs extract --blocks 20 -o motifs.npz`.

    Returns:
        An `Extraction` of the motifs, with their `blocks` where the file
        has them, for `keras_motifs.analysis.bootstrap.bootstrap`; its cutoffs,
        engine and site rule are not in the file (`None`).

    Example:

    >>> bootstrap(read_extraction("motifs.npz"), 100)
    """
    return _read(path)


def _read(path) -> Extraction:
    name = check_path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"npz file {name!r} does not exist") from None
    except (ValueError, OSError, NotImplementedError,
            zipfile.BadZipFile) as error:
        raise ValueError(
            f"{name}: not a numpy .npz file ({error}); expected a file written "
            "by write_npz"
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{name}: a single .npy array, not an .npz archive; expected a file "
            "written by write_npz"
        )
    with archive:
        missing = [key for key in _NPZ_KEYS if key not in archive.files]
        if missing:
            raise _not_motif_set(name, missing, archive.files)
        try:
            arrays = {key: archive[key] for key in (*_NPZ_KEYS, *_OPTIONAL_KEYS)
                      if key in archive.files}
        except (ValueError, OSError, EOFError, NotImplementedError,
                zipfile.BadZipFile, zlib.error) as error:
            raise ValueError(
                f"{name}: a damaged .npz archive ({type(error).__name__}: "
                f"{error}); write it again with write_npz"
            ) from None
    mark = arrays["format"]
    if mark.shape != () or mark.dtype.kind != "U" or str(mark) != _NPZ_FORMAT:
        raise _not_motif_set(name, ["the format mark"], list(arrays))
    version = arrays.get("version")
    if version is None or version.shape != () or version.dtype.kind not in "iu" \
            or int(version) != _NPZ_VERSION:
        shown = None if version is None else version.tolist()
        raise ValueError(
            f"{name}: MotifSet npz version {shown!r}, this package reads "
            f"version {_NPZ_VERSION}"
        )
    try:
        blocks = None
        if "block_counts" in arrays:
            blocks = BlockCounts(arrays["block_counts"], arrays["block_nsites"],
                                 arrays.get("block_sequences"))
        motifs = MotifSet(
            arrays["counts"],
            arrays["nsites"],
            names=[str(value) for value in arrays["names"]],
            alt_names=[str(value) or None for value in arrays["alt_names"]],
            filters=arrays["filters"],
            background=arrays["background"],
            bounds=arrays["bounds"],
        )
        return Extraction(motifs, blocks=blocks)
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise ValueError(f"{name}: invalid MotifSet arrays: {error}") from None


def _not_motif_set(name, missing, found) -> ValueError:
    return ValueError(
        f"{name}: not a MotifSet written by write_npz (missing {missing}); "
        f"found arrays {sorted(found)}"
    )
