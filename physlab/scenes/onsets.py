"""Onset detectors: the frame at which a violation edit starts, found from the possible event.

Each detector reads the trajectory and the per-frame visible pixel counts of every body
(from the segmentation masks) and returns a frame, or None when this scene has no such moment
(the clip is then resampled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from physlab.scenes.spec import ConcreteViolation
from physlab.scenes.trajectory import Trajectory

# A violation needs frames before its onset (for velocities) and after (to be seen).
MIN_ONSET = 2
MIN_FRAMES_AFTER = 4
AIRBORNE, LANDED = 0.05, 0.02  # metres above the floor: in the air, and down on it


@dataclass(frozen=True)
class Facts:
    """What the possible event shows: per body, its visible pixel count at each frame."""

    visible_pixels: dict[str, np.ndarray]


def onset_when_occluded(trajectory: Trajectory, facts: Facts, violation: ConcreteViolation) -> int | None:
    """First frame with zero visible pixels of the target after it has been seen.

    A body that leaves the picture is not occluded: it must be seen again later, so the
    zero-pixel frames are a passage behind something.
    """
    pixels = facts.visible_pixels[violation.targets[0]]
    seen = np.flatnonzero(pixels > 0)
    if not len(seen):
        return None
    hidden_after = np.flatnonzero(pixels[seen[0] :] == 0) + seen[0]
    if not len(hidden_after):
        return None
    onset = int(hidden_after[0])
    if not np.any(pixels[onset:] > 0):
        return None
    return onset


def onset_when_leaves_support(trajectory: Trajectory, facts: Facts, violation: ConcreteViolation) -> int | None:
    """The frame at which the target, having rested on its support, is mostly over the void.

    That is when less than half of its footprint is above the support's top (its centre is
    over the void), or when it stops touching the support for good, whichever comes first.
    """
    target = trajectory.tracks[violation.targets[0]]
    support = trajectory.tracks[violation.support].bounds
    share = _footprint_share(target.bounds, support)
    over = np.flatnonzero(share >= 0.75)
    if not len(over):
        return None
    off = np.flatnonzero(share[over[0] :] < 0.5)
    candidates = [int(over[0] + off[0])] if len(off) else []
    touched = np.flatnonzero(trajectory.in_contact(target.model.name, violation.support))
    if len(touched) and touched[-1] + 1 < trajectory.frames:
        candidates.append(int(touched[-1]) + 1)
    return min(candidates) if candidates else None


def _footprint_share(body: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Per frame, the share of the body's horizontal footprint that lies over the support."""
    low = np.maximum(body[:, 0, :2], support[:, 0, :2])
    high = np.minimum(body[:, 1, :2], support[:, 1, :2])
    overlap = np.prod(np.clip(high - low, 0.0, None), axis=1)
    area = np.prod(body[:, 1, :2] - body[:, 0, :2], axis=1)
    return overlap / np.maximum(area, 1e-9)


def onset_at_apex(trajectory: Trajectory, facts: Facts, violation: ConcreteViolation) -> int | None:
    """The highest point of a rise: the first frame after which the target's height falls."""
    z = trajectory.tracks[violation.targets[0]].position[:, 2]
    rising = np.diff(z) > 0
    if not len(rising) or not rising[0]:
        return None
    falls = np.flatnonzero(~rising)
    return int(falls[0]) if len(falls) else None


def onset_at_contact(trajectory: Trajectory, facts: Facts, violation: ConcreteViolation) -> int | None:
    """First frame at which the target touches the `other` body."""
    hits = np.flatnonzero(trajectory.in_contact(violation.targets[0], violation.other))
    return int(hits[0]) if len(hits) else None


def onset_at_frame(trajectory: Trajectory, facts: Facts, violation: ConcreteViolation) -> int | None:
    """A fixed frame drawn from the family's range."""
    return violation.frame


def onset_when_lands(trajectory: Trajectory, facts: Facts, violation: ConcreteViolation) -> int | None:
    """First frame at which the target, having been in the air, reaches the floor (its lowest point within 2 cm)."""
    lowest = trajectory.tracks[violation.targets[0]].bounds[:, 0, 2]
    airborne = np.flatnonzero(lowest > AIRBORNE)
    if not len(airborne):
        return None
    down = np.flatnonzero(lowest[airborne[0] :] <= LANDED)
    return int(airborne[0] + down[0]) if len(down) else None


def onset_in_view(trajectory: Trajectory, facts: Facts, violation: ConcreteViolation) -> int | None:
    """`frame` frames after the target first comes into view (it enters from outside), if it is still seen then."""
    pixels = facts.visible_pixels[violation.targets[0]]
    seen = np.flatnonzero(pixels > 0)
    if not len(seen):
        return None
    onset = int(seen[0]) + (violation.frame or 0)
    return onset if onset < len(pixels) and pixels[onset] > 0 else None


DETECTORS: dict[str, Callable[[Trajectory, Facts, ConcreteViolation], int | None]] = {
    "occluded": onset_when_occluded,
    "leaves_support": onset_when_leaves_support,
    "apex": onset_at_apex,
    "contact": onset_at_contact,
    "frame": onset_at_frame,
    "lands": onset_when_lands,
    "in_view": onset_in_view,
}


# Detectors that read what the camera sees; the others need only the trajectory, so a scene they reject
# is redrawn before anything is rendered.
READ_PIXELS = frozenset({"occluded", "in_view"})


def detect_onset(trajectory: Trajectory, facts: Facts, violation: ConcreteViolation) -> int | None:
    """Run the violation's detector; None unless the onset leaves room before and after it."""
    onset = DETECTORS[violation.detector](trajectory, facts, violation)
    if onset is None or onset < MIN_ONSET or onset > trajectory.frames - MIN_FRAMES_AFTER:
        return None
    return onset
