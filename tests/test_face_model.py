"""The generic face's shared geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from speaker.face_model import GENERIC_FACE, eye_line_degrees, line_degrees


@pytest.mark.parametrize("degrees", [-40.0, 0.0, 12.5, 90.0])
def test_the_eye_line_gives_the_faces_roll_clockwise_on_screen(degrees):
    turn = math.radians(degrees)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    landmarks = 200.0 * GENERIC_FACE[:, :2] @ rotation.T + 300.0  # image y points down
    assert eye_line_degrees(landmarks) == pytest.approx(degrees, abs=1e-6)
    # Clockwise on screen: the right eye's corner lower than the left's.
    assert (landmarks[45, 1] > landmarks[36, 1]) == (degrees > 0)


def test_a_line_running_left_is_half_a_turn():
    assert abs(line_degrees(np.array([10.0, 5.0]), np.array([0.0, 5.0]))) == pytest.approx(180.0)
