"""The look's set: walls, clutter and distractors never touch or hide the event, and distractors obey physics."""

import dataclasses

import numpy as np
import pytest

from physlab.scenes.clips import film_scene
from physlab.scenes.distractors import GRAVITY, RESTITUTION, SLIDING_FRICTION, distractor_tracks
from physlab.scenes.families import load_family
from physlab.scenes.looks import DistractorDraw, Surface, load_look
from physlab.scenes.render import render_trajectory
from physlab.scenes.room import dress_set, event_extent
from physlab.scenes.simulate import simulate
from physlab.scenes.spec import sample_scene
from physlab.scenes.world import build_world

FPS, FRAMES = 24.0, 48


def draw(kind: str, **changes) -> DistractorDraw:
    base = DistractorDraw(kind=kind, along=0.3, direction=1.0, speed=0.6, size=0.16, phase=0.5, surface=Surface((1, 0, 0, 1)))
    return dataclasses.replace(base, **changes)


def test_a_rolling_distractor_rolls_without_slipping_at_constant_speed():
    track = distractor_tracks(draw("roll"), 1.0, (-1.5, 1.5), FRAMES, FPS)["distractor"]
    steps = np.diff(track.position[:, 0]) * FPS
    assert steps == pytest.approx(np.full(FRAMES - 1, 0.6))
    angle = 2 * np.arctan2(track.orientation[:, 1], track.orientation[:, 3])
    assert np.unwrap(angle)[-1] * 0.08 == pytest.approx(track.position[-1, 0] - track.position[0, 0])
    assert track.position[:, 0].min() >= -1.5 and track.position[:, 0].max() <= 1.5


def test_a_sliding_distractor_decelerates_by_friction_and_stops():
    track = distractor_tracks(draw("slide", speed=0.9), 1.0, (-1.5, 1.5), FRAMES, FPS)["distractor"]
    x = track.position[:, 0]
    stop = 0.9 / (SLIDING_FRICTION * GRAVITY)
    assert x[-1] - x[0] == pytest.approx(0.9 * stop - 0.5 * SLIDING_FRICTION * GRAVITY * stop**2, rel=1e-6)
    assert np.all(np.diff(x) >= -1e-12)


def test_a_bouncing_distractor_loses_height_by_its_restitution():
    track = distractor_tracks(draw("bounce", phase=1.0), 1.0, (-1.5, 1.5), 400, 240.0)["distractor"]
    z = track.position[:, 2] - 0.08
    assert z.min() >= -1e-9
    peaks = [z[t] for t in range(1, len(z) - 1) if z[t] >= z[t - 1] and z[t] > z[t + 1]]
    assert peaks[0] / z[0] == pytest.approx(RESTITUTION**2, rel=0.02)
    assert peaks[1] / peaks[0] == pytest.approx(RESTITUTION**2, rel=0.02)


def test_a_swinging_distractor_keeps_its_energy():
    tracks = distractor_tracks(draw("swing"), 1.0, (-1.5, 1.5), 960, 480.0)
    bob, rod = tracks["distractor"].position, tracks["distractor_rod"].position
    speed = np.linalg.norm(np.diff(bob, axis=0), axis=1) * 480.0
    energy = 0.5 * speed**2 + GRAVITY * (bob[1:, 2] + bob[:-1, 2]) / 2
    assert energy.std() / energy.mean() < 1e-3
    assert np.ptp(bob[:, 0]) > 0.2  # it swings
    assert np.allclose(np.linalg.norm(bob - rod, axis=1), np.linalg.norm(bob[0] - rod[0]))  # the rod stays on the string


@pytest.mark.parametrize("family", ["permanence_vanish", "freeplay"])
def test_clutter_and_distractors_neither_touch_nor_hide_the_event(client, family):
    fam = load_family(family)
    look = load_look("randomized").model_copy(
        update={"clutter": load_look("randomized").clutter.model_copy(update={"count": 4}),
                "distractor": load_look("randomized").distractor.model_copy(update={"probability": 1.0})}
    )  # fmt: skip
    scene, drawn = film_scene(fam, 11, 0, 64, None, look)
    bare = dataclasses.replace(drawn, clutter=(), distractor=None)
    runs = []
    for concrete in (drawn, bare):
        world = build_world(client, scene, concrete)
        simulated = simulate(world, scene.frames, scene.fps)
        dressed = dress_set(world, simulated)
        runs.append((simulated, dressed, render_trajectory(world, dressed)[1]))
    (physics, dressed, masks), (bare_physics, _, bare_masks) = runs
    assert "distractor" in dressed.tracks
    for name in physics.tracks:
        assert np.array_equal(physics.tracks[name].position, bare_physics.tracks[name].position)
    event = range(1, len(physics.tracks) + 1)  # mask labels of the event's bodies come first
    for label in event:
        assert np.array_equal(masks == label, bare_masks == label), f"label {label} is hidden or moved"
    low, high = event_extent(physics)
    assert dressed.tracks["distractor"].position[:, 1].min() > high[1]  # its lane lies behind the event


def test_without_a_look_the_set_is_untouched(client):
    scene = sample_scene(load_family("inertia"), 1, size=32)
    world = build_world(client, scene)
    simulated = simulate(world, scene.frames, scene.fps)
    assert dress_set(world, simulated) is simulated
