"""Trajectories: what each body does at each frame, the thing violations edit and renders draw."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np

from physlab.scenes.spec import ConcreteObject


@dataclass
class Track:
    """One body over time: base pose, joint angles, whether it is shown, and its colour."""

    model: ConcreteObject
    position: np.ndarray  # (T, 3)
    orientation: np.ndarray  # (T, 4) quaternion xyzw
    joints: np.ndarray  # (T, J)
    visible: np.ndarray  # (T,) bool
    color: np.ndarray  # (T, 4)
    bounds: np.ndarray  # (T, 2, 3) axis-aligned low and high corners, as simulated

    def freeze_from(self, frame: int) -> None:
        """Hold the pose of `frame` for the rest of the clip."""
        self.position[frame:] = self.position[frame]
        self.orientation[frame:] = self.orientation[frame]
        self.joints[frame:] = self.joints[frame]


@dataclass
class Trajectory:
    """All tracks of a clip plus per-frame contacts between named bodies."""

    tracks: dict[str, Track]
    contacts: list[frozenset[frozenset[str]]]  # per frame: the pairs of bodies in contact
    fps: float

    @property
    def frames(self) -> int:
        return len(self.contacts)

    def copy(self) -> Trajectory:
        return copy.deepcopy(self)

    def in_contact(self, a: str, b: str) -> np.ndarray:
        pair = frozenset((a, b))
        return np.array([pair in frame for frame in self.contacts])

    def first_difference(self, other: Trajectory) -> int | None:
        """First frame at which any track differs from `other` (None if they never do)."""
        first = None
        for name in set(self.tracks) | set(other.tracks):
            if name not in self.tracks or name not in other.tracks:
                track = self.tracks.get(name) or other.tracks[name]
                shown = np.flatnonzero(track.visible)
                candidate = int(shown[0]) if len(shown) else None
            else:
                candidate = _first_track_difference(self.tracks[name], other.tracks[name])
            if candidate is not None and (first is None or candidate < first):
                first = candidate
        return first

    def same_state(self, other: Trajectory) -> np.ndarray:
        """(T,) bool: the frames at which every body shown in either trajectory is where, and as, the other shows it."""
        same = np.ones(self.frames, dtype=bool)
        for name in set(self.tracks) | set(other.tracks):
            if name not in self.tracks or name not in other.tracks:
                same &= ~(self.tracks.get(name) or other.tracks[name]).visible
            else:
                same &= ~_track_differences(self.tracks[name], other.tracks[name])
        return same

    def still(self) -> np.ndarray:
        """(T,) bool: the frames at which every body is exactly as it was the frame before (frame 0: False)."""
        still = np.ones(self.frames, dtype=bool)
        still[0] = False
        for track in self.tracks.values():
            state = ("position", "orientation", "joints", "visible", "color")
            before = dataclasses.replace(track, **{key: np.roll(getattr(track, key), 1, axis=0) for key in state})
            still &= ~_track_differences(track, before)
        return still


def _track_differences(a: Track, b: Track) -> np.ndarray:
    """(T,) bool: where the two tracks show something different (a body hidden in both shows nothing)."""
    differs = (
        np.any(a.position != b.position, axis=1)
        | np.any(a.orientation != b.orientation, axis=1)
        | np.any(a.joints != b.joints, axis=1)
        | np.any(a.color != b.color, axis=1)
        | (a.visible != b.visible)
    )
    return differs & (a.visible | b.visible)


def _first_track_difference(a: Track, b: Track) -> int | None:
    hits = np.flatnonzero(_track_differences(a, b))
    return int(hits[0]) if len(hits) else None
