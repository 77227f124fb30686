"""Kinematic bodies and the new events: a drawbridge screen lowered and raised on schedule, objects that land,
objects that come into view from outside it."""

import numpy as np
import pytest

from physlab.errors import PhyslabError
from physlab.scenes.clips import make_pair
from physlab.scenes.families import load_family
from physlab.scenes.kinematics import hinge_angle, hinge_pose
from physlab.scenes.spec import HingedObject, load_family_file, sample_scene

KEYS = ((0.0, 90.0), (0.4, 90.0), (0.8, 0.0), (1.2, 0.0), (1.6, 90.0))


def test_a_hinge_follows_its_keyframes_eased():
    assert hinge_angle(KEYS, -1.0) == 90.0 and hinge_angle(KEYS, 5.0) == 90.0
    assert hinge_angle(KEYS, 0.4) == 90.0 and hinge_angle(KEYS, 0.8) == 0.0
    assert hinge_angle(KEYS, 0.6) == pytest.approx(45.0)
    assert hinge_angle(KEYS, 0.45) > 90.0 - 45.0 * 0.25  # eased: slow to leave a keyframe


def test_a_lowered_screen_lies_flat_toward_the_camera():
    scene = sample_scene(load_family("drawbridge"), 0)
    screen = scene.object("screen")
    assert isinstance(screen, HingedObject) and screen.hinge[0][1] == 90
    _, depth, height = screen.size
    upright = (0.0, -0.2, height / 2)
    centre, _ = hinge_pose(screen, upright, 0.0)
    assert centre == pytest.approx(upright)
    centre, orientation = hinge_pose(screen, upright, 90.0)
    assert centre == pytest.approx((0.0, -0.2 - depth / 2 - height / 2, depth / 2))
    assert orientation == pytest.approx((np.sin(np.pi / 4), 0.0, 0.0, np.cos(np.pi / 4)))


def test_the_drawbridge_hides_then_reveals_the_object(client):
    pair = make_pair(load_family("drawbridge"), 3, size=48, client=client)
    ball = pair.possible.objects.index("ball") + 1 if "ball" in pair.possible.objects else None
    shown = (pair.impossible.masks == ball).sum(axis=(1, 2))
    assert shown[-1] > 0 or pair.possible.violation == "reveals_nothing"
    hidden = np.flatnonzero(shown == 0)
    assert len(hidden) and hidden[0] <= pair.impossible.edit_frame


def test_thrown_objects_land_where_the_onset_says(client):
    pair = make_pair(load_family("thrown_lands"), 2, size=48, client=client)
    edit = pair.impossible.edit_frame
    ball = pair.possible.objects.index("ball") + 1
    assert (pair.possible.masks[0] == ball).sum() < 50  # it comes in from outside the view
    assert (pair.possible.masks[edit + 4] == ball).any() and not (pair.impossible.masks[-1] == ball).any()


def test_dropped_objects_come_into_view_from_above(client):
    pair = make_pair(load_family("drop_from_above"), 1, size=48, client=client)
    ball = pair.possible.objects.index("ball") + 1
    assert not (pair.possible.masks[0] == ball).any()
    assert (pair.possible.masks[pair.impossible.edit_frame] == ball).any()


def test_a_hinge_needs_a_static_box(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nconcept: c\nobjects:\n  - {name: s, shape: box, hinge: {keyframes: [[0, 90]]}}\n")
    with pytest.raises(PhyslabError, match="field objects.0: a hinge turns a static box"):
        load_family_file(path)
