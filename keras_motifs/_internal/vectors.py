"""Vectors of `BLOCK` float32 or int32 lanes for numba kernels.

LLVM vector values, kept in registers, with the few operations the one-hot
engine's scan needs (`onehot_kernels.py`): loads and stores of `BLOCK`
contiguous values, a branch-free choice between two rows, lane-wise add,
compare and select. They go through numba's public `extending` API
(`intrinsic`, `register_model`); LLVM's auto-vectoriser did not vectorise
the scan's loops itself (it could not rule out that the accumulator
overlaps the table). The adds are plain IEEE adds in the order written: no
reassociation, so results are those of the same sums in scalar code.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, models, register_model

#: Filters per vector (32 float32: two AVX-512 registers, four AVX2 ones;
#: 16 measured 4 % slower on DanQ's first layer, 8 and 64 slower still).
BLOCK = 32


class _FloatVector(types.Type):
    def __init__(self):
        super().__init__(name=f"FloatVector{BLOCK}")


class _IntVector(types.Type):
    def __init__(self):
        super().__init__(name=f"IntVector{BLOCK}")


_float_vector = _FloatVector()
_int_vector = _IntVector()
_F32 = ir.FloatType()
_I32 = ir.IntType(32)


@register_model(_FloatVector)
class _FloatVectorModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(_F32, BLOCK))


@register_model(_IntVector)
class _IntVectorModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(_I32, BLOCK))


def _vector_pointer(context, builder, array_type, array, start, element):
    data = context.make_array(array_type)(context, builder, array).data
    pointer = builder.gep(data, [start])
    return builder.bitcast(pointer, ir.VectorType(element, BLOCK).as_pointer())


def _splat(builder, value, element):
    vector = ir.VectorType(element, BLOCK)
    one = builder.insert_element(ir.Constant(vector, ir.Undefined), value,
                                 ir.Constant(_I32, 0))
    return builder.shuffle_vector(one, ir.Constant(vector, ir.Undefined),
                                  ir.Constant(ir.VectorType(_I32, BLOCK),
                                              [0] * BLOCK))


@intrinsic
def vload(typingctx, array, start):
    """`array[start:start + BLOCK]` of a contiguous 1D float32 array as a
    vector, unchecked (the caller keeps it in bounds)."""
    def codegen(context, builder, signature, args):
        pointer = _vector_pointer(context, builder, signature.args[0],
                                  args[0], args[1], _F32)
        return builder.load(pointer, align=4)
    return _float_vector(array, start), codegen


@intrinsic
def vrow(typingctx, rows, scratch, q):
    """`vload(rows, q)` where `q >= 0`, else `vload(scratch, -1 - q)`,
    without a branch (both float32 1D arrays, unchecked)."""
    def codegen(context, builder, signature, args):
        q = context.cast(builder, args[2], signature.args[2], types.intp)
        table = _vector_pointer(context, builder, signature.args[0], args[0],
                                q, _F32)
        other = builder.sub(ir.Constant(q.type, -1), q)
        extra = _vector_pointer(context, builder, signature.args[1], args[1],
                                other, _F32)
        inside = builder.icmp_signed(">=", q, ir.Constant(q.type, 0))
        return builder.load(builder.select(inside, table, extra), align=4)
    return _float_vector(rows, scratch, q), codegen


@intrinsic
def vstore(typingctx, array, start, vector):
    """`array[start:start + BLOCK] = vector` (float32 or int32), unchecked."""
    def codegen(context, builder, signature, args):
        element = _F32 if signature.args[2] == _float_vector else _I32
        pointer = _vector_pointer(context, builder, signature.args[0],
                                  args[0], args[1], element)
        builder.store(args[2], pointer, align=4)
        return context.get_dummy_value()
    return types.void(array, start, vector), codegen


@intrinsic
def fsplat(typingctx, value):
    """A float32 vector of `value` in every lane."""
    def codegen(context, builder, signature, args):
        value = context.cast(builder, args[0], signature.args[0],
                             types.float32)
        return _splat(builder, value, _F32)
    return _float_vector(value), codegen


@intrinsic
def isplat(typingctx, value):
    """An int32 vector of `value` in every lane."""
    def codegen(context, builder, signature, args):
        value = context.cast(builder, args[0], signature.args[0], types.int32)
        return _splat(builder, value, _I32)
    return _int_vector(value), codegen


@intrinsic
def vadd(typingctx, a, b):
    """Lane-wise float32 `a + b` (IEEE, no reordering)."""
    def codegen(context, builder, signature, args):
        return builder.fadd(args[0], args[1])
    return _float_vector(a, b), codegen


@intrinsic
def better(typingctx, value, top):
    """Lane-wise `value > top` (False where either is NaN), as an int32
    mask (1 or 0)."""
    def codegen(context, builder, signature, args):
        mask = builder.fcmp_ordered(">", args[0], args[1])
        return builder.zext(mask, ir.VectorType(_I32, BLOCK))
    return _int_vector(value, top), codegen


@intrinsic
def choose(typingctx, mask, a, b):
    """Lane-wise `a if mask else b`."""
    def codegen(context, builder, signature, args):
        zero = ir.Constant(ir.VectorType(_I32, BLOCK), None)
        flag = builder.icmp_unsigned("!=", args[0], zero)
        return builder.select(flag, args[1], args[2])
    return a(mask, a, b), codegen


def compiles() -> bool:
    """Whether these intrinsics compile with the installed numba and
    llvmlite (a small kernel using each of them, compiled once; cached)."""
    try:
        _probe(np.arange(2 * BLOCK, dtype=np.float32),
               np.zeros(BLOCK, np.int32))
    except Exception:  # any numba, llvmlite or LLVM failure
        return False
    return True


@njit(cache=True)
def _probe(values, out):
    """Every intrinsic once (`out` receives the lanes where the second half
    of `values` beats the first)."""
    low = vadd(vload(values, 0), fsplat(0.0))
    high = vrow(values, values, BLOCK)
    mask = better(high, low)
    vstore(out, 0, choose(mask, isplat(1), isplat(0)))
