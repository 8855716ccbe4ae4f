"""What DeepSEA's files look like: their formats, array names and axis orders.

Shared by the loaders (`keras_motifs.data.deepsea`) and the streamed
training sequence (`keras_motifs.data.deepsea_train`).
"""

from __future__ import annotations

import h5py
from scipy.io.matlab import matfile_version

__all__ = ["DEEPSEA_ALPHABET"]

DEEPSEA_ALPHABET = "AGCT"
"""The channel order of every DeepSEA file: A, G, C, T."""




def file_format(path: str) -> str:
    """`"hdf5"` (MATLAB v7.3 or plain HDF5) or `"mat5"` (MATLAB v5)."""
    if h5py.is_hdf5(path):
        return "hdf5"
    try:
        major, _ = matfile_version(path)
    except Exception:
        major = None
    if major == 1:
        return "mat5"
    if major == 2:
        raise OSError(
            f"{path} has a MATLAB v7.3 header but HDF5 cannot open it: the "
            "file is truncated or damaged."
        )
    raise ValueError(
        f"{path} is neither HDF5 (MATLAB v7.3, DeepSEA train.mat, example.h5) "
        "nor MATLAB v5 (valid.mat, test.mat)."
    )




def describe_shapes(shapes: dict) -> str:
    return ", ".join(f"{k} {tuple(v)}" for k, v in shapes.items()) or "none"



def deepsea_keys(shapes: dict, path: str) -> tuple[str, str | None]:
    """The sequence key `<split>xdata` and its label key `<split>data`."""
    xkeys = [k for k in shapes if k.lower().endswith("xdata")]
    if len(xkeys) != 1:
        raise ValueError(
            f"{path}: expected one sequence array named like 'trainxdata', "
            f"'validxdata' or 'testxdata'; found {describe_shapes(shapes)}."
        )
    ykey = xkeys[0][: -len("xdata")] + "data"
    return xkeys[0], ykey if ykey in shapes else None



def hdf5_shapes(handle: h5py.File) -> dict:
    return {
        k: v.shape for k, v in handle.items() if isinstance(v, h5py.Dataset)
    }



def is_matlab_order(xshape, yshape) -> bool:
    """Whether HDF5 arrays are in MATLAB's order `(length, 4, N)`, `(T, N)`."""
    return (
        yshape is not None
        and len(yshape) == 2
        and len(xshape) == 3
        and yshape[1] == xshape[2]
        and yshape[0] != xshape[0]
    )



def wrong_format(path: str, found: str, use: str):
    return ValueError(f"{path} is {found}; read it with {use}.")


def forward_count(n: int, what: str) -> int:
    """The number of forward windows of `n` rows: every DeepSEA file holds
    its forward windows, then their reverse complements."""
    if n % 2:
        raise ValueError(
            f"{what} holds {n} rows; DeepSEA data holds forward windows then "
            "their reverse complements, so an even number is expected."
        )
    return n // 2
