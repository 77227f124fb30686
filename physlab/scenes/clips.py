"""Clips and matched pairs: sample a scene, simulate, detect the onset, edit, render.

`make_clip(family, seed)` and `make_pair(family, seed)` are pure functions of their
arguments: the same family, seed, size, length and look give the same pixels. Without a look
(or with the look `classic`) a clip is filmed as the family says; a look (physlab/scenes/looks.py)
films the same kind of event in another room, palette, camera, size, frame rate and layout.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from physlab.errors import PhyslabError
from physlab.scenes.film import film_frames
from physlab.scenes.looks import ConcreteLook, Look, effective_look, restyle_scene, sample_look
from physlab.scenes.onsets import READ_PIXELS, Facts, detect_onset
from physlab.scenes.render import render_trajectory
from physlab.scenes.room import dress_set
from physlab.scenes.simulate import simulate
from physlab.scenes.spec import ConcreteScene, ConcreteViolation, Family, sample_scene
from physlab.scenes.trajectory import Trajectory
from physlab.scenes.violations import ALT_SUFFIX, NoViolation, apply_violation
from physlab.scenes.world import World, build_world, connect, disconnect

MAX_ATTEMPTS = 30
# How pairs are drawn; a stimulus folder records it, so a resumed folder never mixes two drawings. 2: an edit made
# out of sight waits until it no longer glimpses out (by a shadow) before the target is seen (2026-12-01).
PAIR_DRAWS = 2

Rendered = tuple[Trajectory, tuple[np.ndarray, np.ndarray]]  # a trajectory, and its frames and masks


@dataclass
class Clip:
    """Frames (T, H, W, 3) uint8, masks (T, H, W) uint8 (k = objects[k-1], 0 = background)."""

    frames: np.ndarray
    masks: np.ndarray
    objects: list[str]
    scene: ConcreteScene
    label: str  # "possible" or "impossible"
    violation: str | None = None
    onset_frame: int | None = None
    edit_frame: int | None = None
    look: ConcreteLook | None = None  # how it was filmed; None: as the family says

    @property
    def fps(self) -> float:
        return self.scene.fps

    def metadata(self) -> dict[str, Any]:
        """Everything about the clip but its pixels, as JSON-ready data."""
        filmed = {} if self.look is None else {"width": int(self.frames.shape[2]), "look": self.look.metadata()}
        return {
            "family": self.scene.family,
            "concept": self.scene.concept,
            "seed": self.scene.seed,
            "label": self.label,
            "violation": self.violation,
            "onset_frame": self.onset_frame,
            "edit_frame": self.edit_frame,
            "frames": int(self.frames.shape[0]),
            "size": int(self.frames.shape[1]),
            "fps": self.fps,
            "objects": self.objects,
            "visible_pixels": {name: (self.masks == k).sum(axis=(1, 2)).tolist() for k, name in enumerate(self.objects, 1)},
            "scene": dataclasses.asdict(self.scene),
            **filmed,
        }


@dataclass
class Pair:
    """A possible event and its impossible twin, identical before `onset_frame`."""

    possible: Clip
    impossible: Clip

    @property
    def onset_frame(self) -> int:
        return self.impossible.onset_frame


@contextlib.contextmanager
def pybullet_client(client: int | None = None) -> Iterator[int]:
    """Use the given client, or open one for the duration of the block."""
    if client is not None:
        yield client
        return
    client = connect()
    try:
        yield client
    finally:
        disconnect(client)


def make_clip(
    family: Family,
    seed: int,
    *,
    size: int = 64,
    frames: int | None = None,
    client: int | None = None,
    look: Look | str | None = None,
) -> Clip:
    """A possible event of the family, as simulated (what training data is made of).

    `look`: a Look, or a bundled look's name or a look file's path; frames are then (T, H, W, 3) at the
    look's size and aspect and T covers the family's duration at the look's frame rate.
    """
    scene, drawn = film_scene(family, seed, 0, size, frames, look)
    with pybullet_client(client) as live:
        world = build_world(live, scene, drawn)
        trajectory = dress_set(world, simulate(world, scene.frames, scene.fps))
        frames_, masks = render_trajectory(world, trajectory)
    return Clip(film_frames(frames_, drawn, seed), masks, list(trajectory.tracks), scene, "possible", look=drawn)


def film_scene(
    family: Family, seed: int, attempt: int, size: int, frames: int | None, look: Look | str | None
) -> tuple[ConcreteScene, ConcreteLook | None]:
    """The concrete scene of (family, seed, attempt) as the look films it, and the concrete look (None without one)."""
    scene = sample_scene(family, seed, attempt=attempt, size=size, frames=frames)
    look = effective_look(look)
    if look is None:
        return scene, None
    drawn = sample_look(look, family, scene, seed, attempt)
    return restyle_scene(scene, drawn), drawn


def make_pair(
    family: Family,
    seed: int,
    *,
    size: int = 64,
    frames: int | None = None,
    client: int | None = None,
    look: Look | str | None = None,
) -> Pair:
    """A matched possible/impossible pair; scenes where the violation cannot show are redrawn (scene and look both)."""
    if not family.violations:
        raise PhyslabError(f"{family.source}: family {family.name!r} declares no violations, so it has no pairs")
    look = effective_look(look)
    with pybullet_client(client) as live:
        for attempt in range(MAX_ATTEMPTS):
            scene, drawn = film_scene(family, seed, attempt, size, frames, look)
            pair = _try_pair(build_world(live, scene, drawn), np.random.default_rng([seed, attempt, 1]), seed, attempt)
            if pair is not None:
                return pair
    raise PhyslabError(
        f"{family.source}: no scene of family {family.name!r} showed its violation in {MAX_ATTEMPTS} draws "
        f"(seed {seed}); widen the ranges or lengthen the clip"
    )


def _try_pair(world: World, rng: np.random.Generator, seed: int, attempt: int) -> Pair | None:
    scene = world.scene
    violation = scene.violation
    simulated = dress_set(world, simulate(world, scene.frames, scene.fps))
    if violation.detector not in READ_PIXELS and detect_onset(simulated, Facts({}), violation) is None:
        return None
    base = render_trajectory(world, simulated)
    names = list(simulated.tracks)
    facts = Facts({name: (base[1] == k).sum(axis=(1, 2)) for k, name in enumerate(names, 1)})
    first_edit = detect_onset(simulated, facts, violation)
    if first_edit is None:
        return None
    for edit_frame in _edit_frames(first_edit, violation, facts):
        try:
            possible_traj, impossible_traj = apply_violation(simulated, edit_frame, violation, facts, copy.deepcopy(rng))
        except NoViolation:
            return None
        possible = _render_reusing(world, possible_traj, [(simulated, base)])
        impossible = _render_reusing(world, impossible_traj, [(possible_traj, possible), (simulated, base)])
        onset = _first_pixel_difference(possible[0], impossible[0])
        if onset is None or onset > scene.frames - 3:
            return None
        if violation.detector != "occluded" or _shows_until_seen(
            violation, onset, (possible_traj, possible), (impossible_traj, impossible)
        ):
            break
    else:
        return None  # at every frame the target is hidden, the edit glimpses out and hides again: redraw the scene
    look = world.look
    possible = (film_frames(possible[0], look, seed, attempt), possible[1])
    impossible = (film_frames(impossible[0], look, seed, attempt), impossible[1])
    return Pair(
        possible=Clip(*possible, names, scene, "possible", violation.name, onset, edit_frame, look),
        impossible=Clip(*impossible, list(impossible_traj.tracks), scene, "impossible", violation.name, onset, edit_frame, look),
    )


def _edit_frames(first: int, violation: ConcreteViolation, facts: Facts) -> list[int]:
    """Frames at which the edit may be made: the detector's, and for an edit made out of sight, each later frame
    the target stays hidden (so that an edit whose first frame shows, by a shadow, can wait until it does not)."""
    if violation.detector != "occluded":
        return [first]
    pixels = facts.visible_pixels[violation.targets[0]]
    seen_again = np.flatnonzero(pixels[first:] > 0)
    last = first + int(seen_again[0]) if len(seen_again) else len(pixels)
    return list(range(first, last))


def _shows_until_seen(violation: ConcreteViolation, onset: int, possible: Rendered, impossible: Rendered) -> bool:
    """Whether an edit made out of sight, once it shows, keeps showing until a twin shows its target.

    The twins' first difference can come before the target is seen (its shadow leads it into a gap), but it
    must not glimpse out and hide again: a shadow beside the screen at the edit frame, then identical twins
    until the target comes out, puts the onset where nothing is to be seen.
    """
    differs = np.any(possible[1][0] != impossible[1][0], axis=(1, 2, 3))
    for frame in range(onset, len(differs)):
        if _target_seen(violation, frame, possible, impossible):
            return True
        if not differs[frame]:
            return False
    return True


def _target_seen(violation: ConcreteViolation, frame: int, *twins: Rendered) -> bool:
    """Whether a target of the violation (or its changed stand-in) covers any pixel of `frame` in either twin."""
    for trajectory, (_, masks) in twins:
        ids = [k for k, name in enumerate(trajectory.tracks, 1) if name.removesuffix(ALT_SUFFIX) in violation.targets]
        if np.isin(masks[frame], ids).any():
            return True
    return False


def _render_reusing(world: World, trajectory: Trajectory, rendered: list[Rendered]) -> tuple[np.ndarray, np.ndarray]:
    """Render only the frames at which `trajectory` shows something no already rendered trajectory shows.

    Twins share the frames before the onset, and often after it too: an object that appears from
    behind a screen is, from then on, the simulated one; a ball hidden in a gap comes out as simulated.
    """
    names = list(trajectory.tracks)
    keep = np.zeros(trajectory.frames, dtype=bool)
    frames = masks = None
    for reference, (ref_frames, ref_masks) in rendered:
        known = list(reference.tracks)
        if names[: len(known)] != known[: len(names)]:
            continue  # a reused mask must mean the same bodies: one track list begins with the other
        same = trajectory.same_state(reference) & ~keep
        if same.all() and names == known:
            return ref_frames, ref_masks
        if frames is None:
            frames, masks = ref_frames.copy(), ref_masks.copy()
        frames[same], masks[same] = ref_frames[same], ref_masks[same]
        keep |= same
    return render_trajectory(world, trajectory, base=None if frames is None else (frames, masks), keep=keep)


def _first_pixel_difference(a: np.ndarray, b: np.ndarray) -> int | None:
    differs = np.flatnonzero(np.any(a != b, axis=(1, 2, 3)))
    return int(differs[0]) if len(differs) else None
