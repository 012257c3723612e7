"""The warp mesh's Delaunay triangulation (OpenCV) against scipy's."""

from __future__ import annotations

import numpy as np
from scipy.spatial import Delaunay

from speaker.render.mesh import delaunay


def _area(points, triangles):
    corners = points[triangles]
    a, b = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    return np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum() / 2


def test_delaunay_gives_scipys_triangles_for_points_in_general_position():
    points = np.random.default_rng(3).uniform(20, 480, size=(150, 2))
    ours = delaunay(points)
    theirs = set(map(tuple, np.sort(Delaunay(points).simplices, axis=1)))
    assert set(map(tuple, ours)) == theirs
    assert np.all(np.diff(ours, axis=1) > 0)  # each row ascending


def test_delaunay_covers_a_grid_with_collinear_rows_once():
    xs, ys = np.meshgrid(np.arange(0, 100, 10.0), np.arange(0, 60, 10.0))
    points = np.c_[xs.ravel(), ys.ravel()] + np.random.default_rng(1).uniform(-0.01, 0.01, (60, 2))
    triangles = delaunay(points)
    # Every point is used and the triangles tile the hull (90 x 50) without overlap.
    assert set(triangles.ravel()) == set(range(len(points)))
    assert abs(_area(points, triangles) - 90 * 50) < 5
