"""Violation edits: impossible twins made by editing a possible trajectory from its onset on.

Each edit takes the possible trajectory, the onset frame, the facts of the possible event and
a random generator, and returns (possible, impossible). Most edits leave the possible event
as simulated; `appear` changes both (the IntPhys control: nothing there vs. something appears).
An edit raises NoViolation when the scene cannot show it (the clip is then resampled).
"""

from __future__ import annotations

import colorsys
import dataclasses
from collections.abc import Callable

import numpy as np

from physlab.scenes.onsets import Facts
from physlab.scenes.spec import ConcreteViolation
from physlab.scenes.trajectory import Track, Trajectory

Edit = Callable[[Trajectory, int, ConcreteViolation, Facts, np.random.Generator], tuple[Trajectory, Trajectory]]
ALT_SUFFIX = "~alt"


class NoViolation(Exception):
    """This scene cannot show the violation (for example the object is never seen in the gap)."""


def vanish(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """The object ceases to exist at the onset (it never comes out from behind the screen)."""
    impossible = possible.copy()
    for target in violation.targets:
        impossible.tracks[target].visible[onset:] = False
    return possible, impossible


def appear(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """Control for `vanish`: an empty scene vs. an object coming out without having gone in."""
    empty, impossible = possible.copy(), possible.copy()
    for target in violation.targets:
        empty.tracks[target].visible[:] = False
        impossible.tracks[target].visible[:onset] = False
    return empty, impossible


def hide_in_gap(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """The object goes behind one screen and out from behind the next, never seen in between."""
    pixels = facts.visible_pixels[violation.targets[0]]
    shown = np.flatnonzero(pixels[onset:] > 0)
    if not len(shown):
        raise NoViolation("never seen after the first screen")
    gap_start = onset + int(shown[0])
    hidden_again = np.flatnonzero(pixels[gap_start:] == 0)
    if not len(hidden_again):
        raise NoViolation("never goes behind the second screen")
    gap_end = gap_start + int(hidden_again[0])
    impossible = possible.copy()
    for target in violation.targets:
        impossible.tracks[target].visible[onset:gap_end] = False
    return possible, impossible


def recolor(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """The object comes out in another colour (a hue at least a third of the wheel away)."""
    impossible = possible.copy()
    for target in violation.targets:
        track = impossible.tracks[target]
        hue, saturation, value = colorsys.rgb_to_hsv(*track.color[onset, :3])
        shifted = colorsys.hsv_to_rgb((hue + rng.uniform(1 / 3, 2 / 3)) % 1.0, max(saturation, 0.6), max(value, 0.6))
        track.color[onset:, :3] = shifted
    return possible, impossible


def reshape(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """The object comes out as another shape of the same size and colour."""
    impossible = possible.copy()
    for target in violation.targets:
        track = impossible.tracks[target]
        choices = [shape for shape in violation.params.get("shapes", ["box", "cylinder", "sphere"]) if shape != track.model.shape]
        if not choices:
            raise NoViolation(f"no shape to change a {track.model.shape} into")
        shape = choices[rng.integers(len(choices))]
        alt = Track(
            model=dataclasses.replace(track.model, name=target + ALT_SUFFIX, shape=shape),
            position=track.position.copy(),
            # Upright, so a new shape slides out rather than tumbling through the floor.
            orientation=np.tile([0.0, 0.0, 0.0, 1.0], (possible.frames, 1)),
            joints=np.zeros((possible.frames, 0)),
            visible=track.visible.copy(),
            color=track.color.copy(),
            bounds=track.bounds.copy(),
        )
        alt.visible[:onset] = False
        track.visible[onset:] = False
        impossible.tracks[alt.model.name] = alt
    return possible, impossible


def continue_straight(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """From the onset the object keeps its horizontal velocity and height: it moves on in mid-air."""
    return possible, _extrapolate(possible, onset, violation, keep_vertical=False)


def pass_through(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """At contact the object keeps the velocity and spin it had before: it passes through."""
    return possible, _extrapolate(possible, onset, violation, keep_vertical=True)


def freeze(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """The objects stop dead at the onset and stay there (hang in the air, no launch, stop)."""
    impossible = possible.copy()
    for target in violation.targets:
        impossible.tracks[target].freeze_from(onset)
    return possible, impossible


def mirror_vertical(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """From the onset the object's height changes the other way (it rises as it should fall)."""
    impossible = possible.copy()
    for target in violation.targets:
        position = impossible.tracks[target].position
        position[onset:, 2] = 2 * position[onset, 2] - position[onset:, 2]
    return possible, impossible


def mirror_horizontal(possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator):
    """From the onset the object moves back the way it came, with nothing to push it."""
    impossible = possible.copy()
    for target in violation.targets:
        position = impossible.tracks[target].position
        position[onset:, :2] = 2 * position[onset, :2] - position[onset:, :2]
    return possible, impossible


def _extrapolate(possible: Trajectory, onset: int, violation: ConcreteViolation, *, keep_vertical: bool) -> Trajectory:
    impossible = possible.copy()
    steps = np.arange(1, possible.frames - onset + 2)[:, None]
    for target in violation.targets:
        track = impossible.tracks[target]
        last = onset - 1
        velocity = track.position[last] - track.position[last - 1]
        if not keep_vertical:
            velocity[2] = 0.0
        track.position[last + 1 :] = track.position[last] + steps[: possible.frames - onset] * velocity
        spin = _quaternion_multiply(track.orientation[last], _quaternion_inverse(track.orientation[last - 1]))
        for t in range(onset, possible.frames):
            track.orientation[t] = (
                _quaternion_multiply(spin, track.orientation[t - 1]) if keep_vertical else track.orientation[last]
            )
        joint_speed = track.joints[last] - track.joints[last - 1]
        track.joints[last + 1 :] = track.joints[last] + steps[: possible.frames - onset] * joint_speed
    return impossible


def _quaternion_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    q = np.array(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ]
    )
    return q / np.linalg.norm(q)


def _quaternion_inverse(q: np.ndarray) -> np.ndarray:
    return np.array([-q[0], -q[1], -q[2], q[3]])


EDITS: dict[str, Edit] = {
    "vanish": vanish,
    "appear": appear,
    "hide_in_gap": hide_in_gap,
    "recolor": recolor,
    "reshape": reshape,
    "continue_straight": continue_straight,
    "pass_through": pass_through,
    "freeze": freeze,
    "mirror_vertical": mirror_vertical,
    "mirror_horizontal": mirror_horizontal,
}


def apply_violation(
    possible: Trajectory, onset: int, violation: ConcreteViolation, facts: Facts, rng: np.random.Generator
) -> tuple[Trajectory, Trajectory]:
    """The (possible, impossible) twins for `violation` starting at `onset`."""
    return EDITS[violation.edit](possible, onset, violation, facts, rng)
