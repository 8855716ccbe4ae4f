"""Offline access to the JASPAR motif database.

JASPAR matrices are read from the SQLite releases shipped with the `pyjaspar`
package (JASPAR2014 to the newest), so nothing is downloaded. Each release,
collection and taxonomic group is loaded once per process and cached, because
reading a whole collection takes up to a few seconds.
"""

import functools
import warnings

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET
from keras_motifs.motifs import Motif, MotifSet

__all__ = ["jaspar_motifs", "jaspar_releases"]


def jaspar_releases() -> list[str]:
    """List the JASPAR releases available offline, newest first.

    The releases are those shipped with the installed `pyjaspar` package.

    Returns:
        A list of release names such as `["JASPAR2026", ..., "JASPAR2014"]`.

    Example:

    >>> jaspar_releases()[-1]
    'JASPAR2014'
    """
    return sorted(_pyjaspar().jaspardb().get_releases(), reverse=True)


def jaspar_motifs(
    ids=None,
    *,
    release: str | None = None,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
) -> MotifSet:
    """Load JASPAR position frequency matrices as a `MotifSet`.

    Without `ids`, every motif (latest version of each) of the given
    `collection` and `tax_group` of the release is returned, in the database's
    order. With `ids`, exactly those matrices are returned in the order given,
    from whichever collection they belong to (`collection` and `tax_group` are
    then not used). A base ID without version (`"MA0139"`) gives the latest
    version in the release.

    The motifs keep their own widths: `counts` is zero-padded to the widest
    motif and each motif's `bounds` is `[0, width)`.

    Args:
        ids: Optional JASPAR matrix ID or list of IDs, such as `"MA0139.1"`.
        release: JASPAR release name, such as `"JASPAR2016"`. Defaults to the
            newest release available (see `jaspar_releases()`).
        collection: JASPAR collection, such as `"CORE"` or `"UNVALIDATED"`;
            `None` for all collections.
        tax_group: Taxonomic group, such as `"vertebrates"`, `"insects"` or
            `"plants"`; `None` for all groups.

    Returns:
        A `MotifSet` whose `names` are the matrix IDs (`"MA0139.1"`) and whose
        `alt_names` are the transcription factor names (`"CTCF"`; any
        whitespace replaced by `_`), with the JASPAR counts in A, C, G, T
        column order and `nsites` the largest column sum.

    Example:

    >>> ctcf = jaspar_motifs(["MA0139.1"], release="JASPAR2016")
    >>> ctcf.alt_names
    ['CTCF']
    >>> vertebrates = jaspar_motifs(release="JASPAR2016")
    >>> len(vertebrates)
    519
    """
    release = _check_release(release)
    if ids is None:
        records = _load_collection(release, collection, tax_group)
        if not records:
            raise ValueError(
                f"JASPAR release {release} has no motifs for "
                f"collection={collection!r} and tax_group={tax_group!r}."
            )
    else:
        records = _load_ids(release, _check_ids(ids))
    return _motif_set(records)


def _pyjaspar():
    """Import `pyjaspar`, or explain how to install it."""
    try:
        import pyjaspar
    except ImportError as error:
        raise ImportError(
            "JASPAR access needs the `pyjaspar` package: "
            "`pip install keras-motifs[compare]`."
        ) from error
    return pyjaspar


def _check_release(release):
    """Return the release name, the newest one when `release` is None."""
    releases = jaspar_releases()
    if release is None:
        return releases[0]
    if release not in releases:
        raise ValueError(
            f"Unknown JASPAR release {release!r}. "
            f"Available releases: {', '.join(releases)}."
        )
    return release


def _check_ids(ids):
    """Return `ids` as a tuple of matrix ID strings."""
    if isinstance(ids, str):
        ids = [ids]
    try:
        ids = tuple(ids)
    except TypeError:
        raise TypeError(
            "`ids` must be a JASPAR matrix ID or a list of them, "
            f"such as ['MA0139.1']. Received: ids={ids!r}"
        ) from None
    if not ids or not all(isinstance(matrix_id, str) for matrix_id in ids):
        raise TypeError(
            "`ids` must be a non-empty list of JASPAR matrix ID strings, "
            f"such as ['MA0139.1']. Received: ids={ids!r}"
        )
    return ids


def _record(motif):
    """(matrix_id, TF name, counts (width, 4)) of a Bio.motifs.jaspar.Motif."""
    counts = np.array(
        [motif.counts[letter] for letter in ALPHABET], dtype="float64"
    ).T
    counts.setflags(write=False)
    return motif.matrix_id, motif.name, counts


@functools.lru_cache(maxsize=None)
def _load_collection(release, collection, tax_group):
    """All motifs of one collection and taxonomic group, cached."""
    database = _pyjaspar().jaspardb(release=release)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if collection is None and tax_group is None:
            motifs = database.fetch_motifs(all=True)
        else:
            motifs = database.fetch_motifs(
                collection=collection, tax_group=tax_group
            )
    return tuple(_record(motif) for motif in motifs)


@functools.lru_cache(maxsize=None)
def _load_motif(release, matrix_id):
    """One motif by matrix ID, cached; None when the release lacks it."""
    database = _pyjaspar().jaspardb(release=release)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        motif = database.fetch_motif_by_id(matrix_id)
    return None if motif is None else _record(motif)


def _load_ids(release, ids):
    """The motifs with the given matrix IDs, or a ValueError naming the
    missing ones."""
    records = [_load_motif(release, matrix_id) for matrix_id in ids]
    missing = [
        matrix_id for matrix_id, record in zip(ids, records) if record is None
    ]
    if missing:
        raise ValueError(
            f"Unknown JASPAR matrix ID(s) in {release}: {', '.join(missing)}. "
            "Expected IDs such as 'MA0139.1' (or a base ID such as 'MA0139')."
        )
    return records


def _motif_set(records):
    """A `MotifSet` of variable-width JASPAR records."""
    return MotifSet.from_motifs(
        [
            Motif(
                name=matrix_id,
                alt_name="_".join(name.split()) or None,
                filter=i,
                counts=counts,
                nsites=round(counts.sum(axis=1).max()),
            )
            for i, (matrix_id, name, counts) in enumerate(records)
        ]
    )
