"""Frame-time helpers: smoothing matches scipy's, which the project no longer imports on a cold start."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from speaker.timebase import gaussian_smooth


@pytest.mark.parametrize(
    "shape, axis, sigma",
    [((100,), 0, 2.5), ((50, 6), 0, 1.3), ((7,), 0, 5.0), ((3, 40), 1, 0.7), ((500, 2), 0, 12.0), ((1,), 0, 3.0)],
)
def test_gaussian_smooth_is_scipys_with_ends_held(shape, axis, sigma):
    values = np.random.default_rng(7).normal(size=shape)
    expected = gaussian_filter1d(values, sigma, axis=axis, mode="nearest")
    np.testing.assert_allclose(gaussian_smooth(values, sigma, axis), expected, atol=1e-12)


def test_gaussian_smooth_keeps_float32_and_a_zero_sigma_changes_nothing():
    values = np.linspace(0, 1, 20, dtype=np.float32)
    assert gaussian_smooth(values, 2.0).dtype == np.float32
    np.testing.assert_array_equal(gaussian_smooth(values, 0.0), values)
    # A step is spread symmetrically about its edge, and constant ends stay put.
    step = np.r_[np.zeros(30), np.ones(30)]
    smoothed = gaussian_smooth(step, 3.0)
    assert smoothed[0] == 0 and smoothed[-1] == 1
    np.testing.assert_allclose(smoothed[29] + smoothed[30], 1.0)
