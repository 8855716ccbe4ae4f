"""Tests for keras_motifs._internal.alphabet: channel orders and complements."""

import itertools

import numpy as np
import pytest

from keras_motifs._internal.alphabet import ALPHABET, alphabet_of, channel_complement
from keras_motifs._internal.alphabet import check_alphabet, check_background
from keras_motifs._internal.alphabet import complement_indices, dna_channels_of
from keras_motifs._internal.alphabet import resolve_alphabet

PAIRS = {"A": "T", "C": "G", "G": "C", "T": "A"}
ORDERS = ["".join(p) for p in itertools.permutations("ACGT")]


@pytest.mark.parametrize("alphabet", ORDERS)
def test_complement_indices_against_a_plain_mapping(alphabet):
    expected = [alphabet.index(PAIRS[base]) for base in alphabet]
    assert complement_indices(alphabet).tolist() == expected
    assert complement_indices(alphabet.lower()).tolist() == expected
    # Complementing twice is the identity.
    twice = complement_indices(alphabet)[complement_indices(alphabet)]
    assert twice.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("bad, error", [("ACG", ValueError), ("AACG", ValueError),
                                        ("ACGU", ValueError), (["A", "C", "G", "T"], TypeError),
                                        (None, TypeError)])
def test_check_alphabet_refuses_what_is_not_a_permutation(bad, error):
    with pytest.raises(error, match="Received: alphabet="):
        check_alphabet(bad)


def test_resolve_alphabet_rules():
    assert resolve_alphabet(None, None) == ALPHABET
    assert resolve_alphabet("agct", None) == "AGCT"
    assert resolve_alphabet(None, "AGCT") == "AGCT"
    assert resolve_alphabet("AGCT", "agct") == "AGCT"
    with pytest.raises(ValueError, match="declare channel order 'AGCT' but --alphabet 'ACGT'"):
        resolve_alphabet("ACGT", "AGCT", name="--alphabet")


def test_alphabet_of_reads_a_declared_order_only():
    class Declares:
        alphabet = "agct"

    assert alphabet_of(Declares()) == "AGCT"
    assert alphabet_of(np.zeros((1, 2, 4))) is None


def test_dna_channels_and_their_complement():
    assert dna_channels_of(None, 4) == (0, 1, 2, 3)
    assert dna_channels_of(np.arange(2, 6), 6) == (2, 3, 4, 5)
    with pytest.raises(ValueError, match="say which four"):
        dna_channels_of(None, 6)
    for bad in ([0, 1, 2], [0, 1, 2, 2], [0, 1, 2, 6], [-1, 0, 1, 2]):
        with pytest.raises(ValueError, match="four distinct channel indices below 6"):
            dna_channels_of(bad, 6)
    with pytest.raises(TypeError):
        dna_channels_of("0123", 6)
    with pytest.raises(TypeError):
        dna_channels_of([0, 1, 2, True], 6)
    # DNA in channels 5, 0, 3, 1 (A, C, G, T); channels 2 and 4 are signals.
    complement = channel_complement("ACGT", (5, 0, 3, 1), 6)
    expected = np.arange(6)
    for base, channel in zip("ACGT", (5, 0, 3, 1)):
        expected[channel] = (5, 0, 3, 1)["ACGT".index(PAIRS[base])]
    assert complement.tolist() == expected.tolist()


def test_check_background():
    assert check_background(None).tolist() == [0.25] * 4
    np.testing.assert_allclose(check_background([0.3, 0.2, 0.2, 0.3]), [0.3, 0.2, 0.2, 0.3])
    # Frequencies within 1 % of summing to 1 are normalised exactly.
    assert check_background([0.3, 0.2, 0.2, 0.305]).sum() == pytest.approx(1.0, abs=1e-15)
    for bad in ([0.5, 0.5, 0, 0], [0.3, 0.3, 0.3], [0.5, 0.5, 0.5, 0.5], [np.nan] * 4):
        with pytest.raises(ValueError, match="background"):
            check_background(bad)
