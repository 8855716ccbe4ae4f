"""`OneHotArray`: a NumPy array of one-hot DNA that knows its channel order.

The order travels with the data through indexing, slicing and the NumPy
functions that keep the channel axis (`np.concatenate`, `np.stack`,
`np.pad`, ...), so a declared DeepSEA order (A, G, C, T) is never lost on
the way to extraction; combining arrays of different orders is refused.
"""

from __future__ import annotations

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, check_alphabet

__all__ = ["OneHotArray"]
class OneHotArray(np.ndarray):
    """A NumPy array of one-hot DNA that knows its channel order.

    A thin `np.ndarray` subclass whose `alphabet` attribute names the base of
    each channel of the last axis, so loaders can hand out data that says how
    it is encoded (motif extraction reads `getattr(x, "alphabet", None)` and
    reorders to A, C, G, T itself). Creating one is a view, not a copy.

    Indexing, slicing, `reshape`, `copy`, `astype` and pickling keep the
    alphabet; `transpose`, `swapaxes`, `T` and `mT` keep it when the last
    axis stays last. Ufuncs (arithmetic, comparisons, `np.exp`, ...) and their
    reductions (`sum`, `max`, `mean`, ...) return plain arrays, since their
    results are in general no longer one-hot DNA; in-place ufuncs and
    `out=` arguments write into the `OneHotArray` and return it.
    `np.asarray(x)` gives a plain array.

    NumPy functions (`np.concatenate(...)` and the like) follow one rule: the
    result keeps the alphabet when the function only moves, copies, selects
    or combines whole channel vectors, i.e. it leaves the last axis as it is,
    and the result still has 4 channels on its last axis. These are
    `concatenate`, `stack` (not along a new last axis), `vstack`, `hstack`,
    `dstack` and `column_stack` (when the inputs already have the channels
    where these put them), `block`, `append`, `where(condition, x, y)` (when
    `x` or `y` is a `OneHotArray`), `pad`, `copy`, `take`, `take_along_axis`,
    `compress`, `repeat`, `delete` and `insert` (along an axis other than
    the last), `flip`, `fliplr`, `flipud`, `roll` and `rot90` (not moving
    the last axis), `split`, `array_split`, `hsplit`, `vsplit`, `dsplit`,
    `tile`, `expand_dims`, `squeeze`, `reshape`, `ravel`, `broadcast_to`,
    `atleast_1d`/`2d`/`3d`, `transpose`, `moveaxis`, `swapaxes`, `rollaxis`
    and `matrix_transpose` (when the last axis stays last), and
    `zeros_like`, `ones_like`, `empty_like`, `full_like` (with `subok=True`).
    Every other function, and these along the last axis or with `axis=None`
    (which flattens the channels away), returns plain arrays, as reductions
    do. Plain arrays and scalars mixed in (padding, fill values) are taken
    to be in the same order. `OneHotArray`s of different alphabets cannot be
    combined, by a NumPy function or a ufunc: that raises a `ValueError`
    rather than mixing channels that mean different bases. `np.asarray`,
    `np.array`, `np.ascontiguousarray` and `np.asfortranarray` do not let a
    subclass take part and give plain arrays (`x.copy(order="C")` keeps the
    alphabet).

    Args:
        x: An array-like whose last axis has 4 channels, e.g. `(N, length, 4)`.
        alphabet: The channel order, a permutation of `"ACGT"`. Defaults to
            `"ACGT"`.

    Returns:
        A view of `x` with an `alphabet` attribute.

    Example:

    >>> x = OneHotArray(np.eye(4)[[0, 2, 1]][None], alphabet="AGCT")
    >>> x.alphabet, x[:, 1:].alphabet
    ('AGCT', 'AGCT')
    """

    def __new__(cls, x, alphabet: str = ALPHABET):
        alphabet = check_alphabet(alphabet)
        array = np.asarray(x)
        if array.ndim == 0 or array.shape[-1] != 4:
            raise ValueError(
                f"OneHotArray expects an array whose last axis holds 4 "
                f"channels ({alphabet}), got shape {array.shape}"
            )
        view = array.view(cls)
        view.alphabet = alphabet
        return view

    def __array_finalize__(self, obj):
        self.alphabet = getattr(obj, "alphabet", ALPHABET)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        _common_alphabet(f"np.{ufunc.__name__}", (inputs, out))
        inputs = tuple(_plain(x) for x in inputs)
        if out is not None:
            kwargs["out"] = tuple(_plain(x) for x in out)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is None:
            return result
        return out[0] if len(out) == 1 else out

    def transpose(self, *axes):
        return _unless_channels_moved(super().transpose(*axes), self.ndim,
                                      lambda x: x.transpose(*axes))

    def swapaxes(self, axis1, axis2):
        return _unless_channels_moved(super().swapaxes(axis1, axis2), self.ndim,
                                      lambda x: x.swapaxes(axis1, axis2))

    @property
    def T(self):
        return self.transpose()

    @property
    def mT(self):
        return self.swapaxes(-1, -2)

    def __array_function__(self, func, types, args, kwargs):
        if not all(issubclass(kind, np.ndarray) for kind in types):
            return NotImplemented
        name = f"np.{getattr(func, '__name__', func)}"
        alphabet = _common_alphabet(name, (args, kwargs))
        result = func(*_unwrap(args), **_unwrap(kwargs))
        out = kwargs.get("out")
        if isinstance(out, np.ndarray):
            return out
        keeps = _KEEPS_CHANNELS.get(func)
        if keeps is None or not keeps(args, kwargs):
            return result
        return _rewrap(result, alphabet)

    def __reduce__(self):
        constructor, arguments, state = super().__reduce__()
        return constructor, arguments, (state, self.alphabet)

    def __setstate__(self, state):
        array_state, self.alphabet = state
        super().__setstate__(array_state)



def _plain(x):
    return x.view(np.ndarray) if isinstance(x, OneHotArray) else x



def _unless_channels_moved(result, ndim: int, permute):
    """`result` of permuting axes, made plain if the last axis moved."""
    stand_in = np.broadcast_to(np.int8(0), tuple(range(2, ndim + 2)))
    moved = permute(stand_in)
    if moved.ndim and moved.shape[-1] == ndim + 1:
        return result
    return result.view(np.ndarray)



def _unwrap(value):
    """`value` with every `OneHotArray` in it (lists, tuples, dicts) made plain."""
    if isinstance(value, OneHotArray):
        return value.view(np.ndarray)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(item) for item in value)
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    return value



def _one_hot_arrays(value):
    """The `OneHotArray`s in `value`, searching lists, tuples and dicts."""
    if isinstance(value, OneHotArray):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _one_hot_arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _one_hot_arrays(item)



def _common_alphabet(name: str, value) -> str:
    """The alphabet of every `OneHotArray` in `value`; ValueError if they differ."""
    alphabets = sorted({x.alphabet for x in _one_hot_arrays(value)})
    if len(alphabets) > 1:
        raise ValueError(
            f"{name} cannot combine OneHotArrays whose channels mean different "
            f"bases; expected one alphabet (convert one array first, e.g. "
            f"OneHotArray(np.asarray(x)[..., [x.alphabet.index(b) for b in "
            f"'ACGT']], alphabet='ACGT')). Received: alphabets={alphabets}"
        )
    return alphabets[0] if alphabets else ALPHABET



def _rewrap(result, alphabet: str):
    """`result` (an array, or a list or tuple of arrays) as `OneHotArray`s.

    Only arrays whose last axis still has 4 channels are wrapped.
    """
    if isinstance(result, (list, tuple)):
        return type(result)(_rewrap(item, alphabet) for item in result)
    if isinstance(result, np.ndarray) and result.ndim and result.shape[-1] == 4:
        view = result.view(OneHotArray)
        view.alphabet = alphabet
        return view
    return result



def _argument(args, kwargs, position: int, name: str, default=None):
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default



def _ndim(args, kwargs, position: int = 0) -> int:
    """The number of dimensions of the array argument at `position`."""
    if len(args) > position:
        return np.ndim(args[position])
    names = ("a", "arr", "ary", "m", "array")
    return np.ndim(next(kwargs[name] for name in names if name in kwargs))



def _last_axis_kept(position: int, name: str, default, *, array: int = 0):
    """Predicate: the `axis`-like argument leaves the array's last axis alone.

    `axis=None` flattens (take, repeat, delete, ...) or acts on every axis
    (flip, roll), so it does not keep the channels.
    """

    def keeps(args, kwargs):
        axis = _argument(args, kwargs, position, name, default)
        if axis is None:
            return False
        ndim = _ndim(args, kwargs, array)
        axes = np.atleast_1d(axis).tolist()
        return all(int(a) % ndim != ndim - 1 for a in axes)

    return keeps



def _stack_keeps(args, kwargs):
    arrays = list(args[0] if args else kwargs["arrays"])
    axis = _argument(args, kwargs, 1, "axis", 0)
    ndim = np.ndim(arrays[0]) + 1 if arrays else 1
    return int(axis) % ndim != ndim - 1



def _where_keeps(args, kwargs):
    values = list(args[1:3]) + [kwargs[k] for k in ("x", "y") if k in kwargs]
    return any(isinstance(value, OneHotArray) for value in values)



def _least_ndim(minimum: int):
    def keeps(args, kwargs):
        return all(x.ndim >= minimum for x in _one_hot_arrays(args))

    return keeps



def _flip_lr_keeps(args, kwargs):
    return _ndim(args, kwargs) - 1 != 1



def _flip_ud_keeps(args, kwargs):
    return _ndim(args, kwargs) - 1 != 0



def _rot90_keeps(args, kwargs):
    ndim = _ndim(args, kwargs)
    k = int(_argument(args, kwargs, 1, "k", 1))
    axes = _argument(args, kwargs, 2, "axes", (0, 1))
    return k % 4 == 0 or all(int(a) % ndim != ndim - 1 for a in axes)



def _permutation_keeps(func):
    """Predicate for axis permutations: `func` on a stand-in with distinct axis lengths."""

    def keeps(args, kwargs):
        if not args:
            return False
        ndim = _ndim(args, kwargs)
        stand_in = np.broadcast_to(np.int8(0), tuple(range(2, ndim + 2)))
        moved = func(stand_in, *_unwrap(args[1:]), **_unwrap(kwargs))
        return moved.ndim and moved.shape[-1] == ndim + 1

    return keeps



def _subok_keeps(args, kwargs):
    return bool(_argument(args, kwargs, 3, "subok", True))



def _always(args, kwargs):
    return True



_KEEPS_CHANNELS = {
    # The result's last axis is the channel axis whenever it still has 4
    # entries: these only concatenate, pad, tile, split or reshape (C or F
    # order alike) without reordering inside the channel axis.
    np.concatenate: _always,
    np.vstack: _always,
    np.hstack: _always,
    np.block: _always,
    np.append: _always,
    np.pad: _always,
    np.copy: _always,
    np.split: _always,
    np.array_split: _always,
    np.hsplit: _always,
    np.vsplit: _always,
    np.dsplit: _always,
    np.tile: _always,
    np.expand_dims: _always,
    np.squeeze: _always,
    np.reshape: _always,
    np.ravel: _always,
    np.broadcast_to: _always,
    np.atleast_1d: _always,
    np.atleast_2d: _always,
    np.atleast_3d: _always,
    # These need the axis they act on to be another one.
    np.stack: _stack_keeps,
    np.dstack: _least_ndim(3),
    np.column_stack: _least_ndim(2),
    np.where: _where_keeps,
    np.take: _last_axis_kept(2, "axis", None),
    np.take_along_axis: _last_axis_kept(2, "axis", -1),
    np.compress: _last_axis_kept(2, "axis", None, array=1),
    np.repeat: _last_axis_kept(2, "axis", None),
    np.delete: _last_axis_kept(2, "axis", None),
    np.insert: _last_axis_kept(3, "axis", None),
    np.flip: _last_axis_kept(1, "axis", None),
    np.roll: _last_axis_kept(2, "axis", None),
    np.fliplr: _flip_lr_keeps,
    np.flipud: _flip_ud_keeps,
    np.rot90: _rot90_keeps,
    np.transpose: _permutation_keeps(np.transpose),
    np.moveaxis: _permutation_keeps(np.moveaxis),
    np.swapaxes: _permutation_keeps(np.swapaxes),
    np.rollaxis: _permutation_keeps(np.rollaxis),
    np.zeros_like: _subok_keeps,
    np.ones_like: _subok_keeps,
    np.empty_like: _subok_keeps,
    np.full_like: lambda args, kwargs: bool(_argument(args, kwargs, 4, "subok", True)),
}


if hasattr(np, "matrix_transpose"):
    _KEEPS_CHANNELS[np.matrix_transpose] = _permutation_keeps(np.matrix_transpose)
