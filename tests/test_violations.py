"""Onset detectors and trajectory edits on small synthetic trajectories."""

import numpy as np
import pytest

from physlab.scenes.onsets import Facts, detect_onset
from physlab.scenes.spec import ConcreteObject, ConcreteViolation
from physlab.scenes.trajectory import Track, Trajectory
from physlab.scenes.violations import NoViolation, apply_violation

T = 20


def _object(name, shape="sphere"):
    return ConcreteObject(
        name, shape, (0.2, 0.2, 0.2), (0, 0, 0), None, 0.0, (0, 0, 0), (0, 0, 0), False, 1.0, False, (1, 0, 0, 1), 0.5, 0.2, 0.0
    )


def _track(name, position, bounds=None):
    frames = len(position)
    if bounds is None:
        bounds = np.stack([position - 0.1, position + 0.1], axis=1)
    return Track(
        _object(name),
        np.asarray(position, float),
        np.tile([0.0, 0.0, 0.0, 1.0], (frames, 1)),
        np.zeros((frames, 0)),
        np.ones(frames, bool),
        np.tile([1.0, 0.0, 0.0, 1.0], (frames, 1)),
        bounds,
    )


def _violation(edit, detector="frame", frame=8, **kwargs):
    return ConcreteViolation(
        "v", edit, ("ball",), detector, kwargs.get("support"), kwargs.get("other"), frame, kwargs.get("params", {})
    )


def _rolling(frames=T):
    x = np.linspace(-1, 1, frames)
    return np.stack([x, np.zeros(frames), np.full(frames, 0.1)], axis=1)


def _trajectory(tracks, contacts=None):
    return Trajectory({t.model.name: t for t in tracks}, contacts or [frozenset()] * T, 24.0)


def test_apex_is_the_highest_point():
    t = np.arange(T) / 24
    z = 0.1 + 2.5 * t - 4.9 * t**2
    traj = _trajectory([_track("ball", np.stack([t, 0 * t, z], axis=1))])
    onset = detect_onset(traj, Facts({}), _violation("freeze", "apex", None))
    assert onset == int(np.argmax(z))


def test_occluded_needs_zero_pixels_and_a_later_reappearance():
    pixels = np.array([5, 9, 9, 4, 0, 0, 0, 3, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8])
    traj = _trajectory([_track("ball", _rolling())])
    assert detect_onset(traj, Facts({"ball": pixels}), _violation("vanish", "occluded", None)) == 4
    gone = np.array([5, 9, 9, 4] + [0] * 16)  # leaves the picture: not an occlusion
    assert detect_onset(traj, Facts({"ball": gone}), _violation("vanish", "occluded", None)) is None


def test_contact_and_leaving_support():
    contacts = [frozenset({frozenset({"ball", "wall"})}) if t >= 11 else frozenset() for t in range(T)]
    traj = _trajectory([_track("ball", _rolling()), _track("wall", np.tile([0.5, 0, 0.1], (T, 1)))], contacts)
    assert detect_onset(traj, Facts({}), _violation("pass_through", "contact", None, other="wall")) == 11
    platform = np.tile([[[-2.0, -1.0, 0.0], [0.0, 1.0, 0.3]]], (T, 1, 1))
    on_top = [frozenset({frozenset({"ball", "platform"})}) if t < 10 else frozenset() for t in range(T)]
    traj = _trajectory([_track("ball", _rolling()), _track("platform", np.zeros((T, 3)), platform)], on_top)
    onset = detect_onset(traj, Facts({}), _violation("freeze", "leaves_support", None, support="platform"))
    # the ball's centre passes x = 0 (the platform edge) between frames 9 and 10
    assert onset == 10


def test_onsets_too_close_to_the_ends_are_refused():
    traj = _trajectory([_track("ball", _rolling())])
    assert detect_onset(traj, Facts({}), _violation("freeze", frame=1)) is None
    assert detect_onset(traj, Facts({}), _violation("freeze", frame=T - 2)) is None


def test_freeze_and_mirrors():
    traj = _trajectory([_track("ball", _rolling())])
    rng = np.random.default_rng(0)
    possible, frozen = apply_violation(traj, 8, _violation("freeze"), Facts({}), rng)
    assert possible is traj
    assert np.array_equal(frozen.tracks["ball"].position[8:], np.tile(traj.tracks["ball"].position[8], (T - 8, 1)))
    assert np.array_equal(frozen.tracks["ball"].position[:9], traj.tracks["ball"].position[:9])
    _, back = apply_violation(traj, 8, _violation("mirror_horizontal"), Facts({}), rng)
    assert back.tracks["ball"].position[15, 0] < back.tracks["ball"].position[8, 0]
    _, up = apply_violation(traj, 8, _violation("mirror_vertical"), Facts({}), rng)
    assert np.allclose(up.tracks["ball"].position[:, 2], 0.1)


def test_continue_straight_keeps_velocity_and_height():
    t = np.arange(T)
    falling = np.stack([0.05 * t, 0 * t, 1.0 - 0.002 * t**2], axis=1)
    traj = _trajectory([_track("ball", falling)])
    _, impossible = apply_violation(traj, 10, _violation("continue_straight"), Facts({}), np.random.default_rng(0))
    position = impossible.tracks["ball"].position
    assert np.allclose(np.diff(position[9:, 0]), 0.05)
    assert np.allclose(position[9:, 2], falling[9, 2])
    _, through = apply_violation(traj, 10, _violation("pass_through"), Facts({}), np.random.default_rng(0))
    assert np.allclose(np.diff(through.tracks["ball"].position[9:, 2]), falling[9, 2] - falling[8, 2])


def test_vanish_and_its_appear_control():
    traj = _trajectory([_track("ball", _rolling())])
    rng = np.random.default_rng(0)
    _, vanished = apply_violation(traj, 6, _violation("vanish"), Facts({}), rng)
    assert vanished.tracks["ball"].visible[:6].all() and not vanished.tracks["ball"].visible[6:].any()
    empty, appeared = apply_violation(traj, 6, _violation("appear"), Facts({}), rng)
    assert not empty.tracks["ball"].visible.any()
    assert not appeared.tracks["ball"].visible[:6].any() and appeared.tracks["ball"].visible[6:].all()
    assert appeared.first_difference(empty) == 6


def test_hide_in_gap_hides_exactly_the_gap():
    pixels = np.array([5, 5, 0, 0, 4, 6, 6, 3, 0, 0, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6])
    traj = _trajectory([_track("ball", _rolling())])
    _, impossible = apply_violation(traj, 2, _violation("hide_in_gap"), Facts({"ball": pixels}), np.random.default_rng(0))
    hidden = ~impossible.tracks["ball"].visible
    assert np.array_equal(np.flatnonzero(hidden), np.arange(2, 8))
    with pytest.raises(NoViolation):
        no_gap = np.array([5, 5, 0, 0, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6])
        apply_violation(traj, 2, _violation("hide_in_gap"), Facts({"ball": no_gap}), np.random.default_rng(0))


def test_recolor_and_reshape_change_looks_from_the_onset():
    traj = _trajectory([_track("ball", _rolling())])
    _, recolored = apply_violation(traj, 7, _violation("recolor"), Facts({}), np.random.default_rng(0))
    color = recolored.tracks["ball"].color
    assert np.array_equal(color[:7], traj.tracks["ball"].color[:7])
    assert np.abs(color[7:, :3] - traj.tracks["ball"].color[7:, :3]).max() > 0.3
    _, reshaped = apply_violation(traj, 7, _violation("reshape", params={"shapes": ["box"]}), Facts({}), np.random.default_rng(0))
    alt = reshaped.tracks["ball~alt"]
    assert alt.model.shape == "box"
    assert not alt.visible[:7].any() and alt.visible[7:].all()
    assert not reshaped.tracks["ball"].visible[7:].any()
