"""The pipeline gives the recorded golden extractions (`tests/golden.py`):
counts, nsites, cutoffs, firing stats and block counts of every engine, site
rule, strand and geometry. Integer results must be equal; activation
cutoffs and signal means equal to float32 rounding (another CPU may round
a convolution differently). After an intended change, rerun
`python tests/golden.py` and name the change in the commit."""

import numpy as np
import pytest

import golden

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recorded():
    if not golden.GOLDEN.exists():
        pytest.fail(f"{golden.GOLDEN} is missing: run python tests/golden.py")
    with np.load(golden.GOLDEN) as arrays:
        return dict(arrays)


@pytest.fixture(scope="module")
def models():
    return {}


@pytest.mark.parametrize("name", sorted(golden.CASES))
def test_extraction_equals_the_recorded_one(name, recorded, models):
    arrays = golden.run_case(name, models)
    assert sorted(arrays) == sorted(k for k in recorded if k.startswith(name + "/"))
    for key, value in arrays.items():
        expected = recorded[key]
        assert value.shape == expected.shape, key
        if key.endswith(("/cutoffs", "/signal")):
            np.testing.assert_allclose(value, expected, rtol=1e-6, err_msg=key)
        else:
            np.testing.assert_array_equal(value, expected, err_msg=key)
