"""Where a pair's twins stop being the same clip, found from their frames, without an onset.

A matched pair shares an opening: up to the edit, the possible and the impossible twin are the same video. Frames
there cannot tell the twins apart, and a score that still differs between them there (a peak over the clip's
median, say, whose median is lower in the twin that goes still) rewards the rest of the clip, not a reaction to the
violation (docs/results.md, fifteenth and sixteenth sessions). Comparing the twins only from the frame where they
first differ needs no onset from the manifest: it is read from the twins themselves, as the model sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

# Two model frames are the same where their grey levels, blurred over a pixel to forgive codec and dither noise,
# differ by at most this share of the full scale anywhere. Twins rendered alike and encoded apart are not alike to
# the bit: H.264's rate control lets the openings of physlab's own mp4s differ by up to 0.021 at the model's size
# when made at 128 px (README's my_set), 0.036 when made at 64 px (no downscaling averages the noise away) and
# 0.036 in the randomized look; set a tenth above the worst of these. The first edited frames differ by 0.05
# (dusk) to 0.48 (MPEG-4) at the median. At 0.02, 30 of 64 pairs made at 64 px and 21 of 128 in the randomized
# look were found before their onset; at 0.04, none (docs/results.md, 2026-12-01, seventeenth session).
TOLERANCE = 0.04
BLUR_PIXELS = 1.0


@dataclass(frozen=True)
class Twins:
    """What a clip shares with its pair: `diverge_s`, the model time (seconds) of the first frame in which the
    twins differ (0.0 when they differ from the start, None when they never do), and `baseline`, the median surprise
    of all the pair's scored frames, one number for every twin."""

    diverge_s: float | None
    baseline: float


def divergence_frame(a: np.ndarray, b: np.ndarray, tolerance: float = TOLERANCE) -> int | None:
    """The first model frame in which two clips differ, or None if they never do.

    `a`, `b`: (T, S, S, 3) uint8 frames at the model's rate and size (`Video.frames`). Clips of different lengths
    that agree on all their common frames differ where the shorter one ends.
    """
    common = min(len(a), len(b))
    for t in range(common):
        if _difference(a[t], b[t]) > tolerance:
            return t
    return None if len(a) == len(b) else common


def pair_twins(
    frames: Sequence[np.ndarray], labels: Sequence[str], values: Sequence[np.ndarray], fps: float, tolerance: float = TOLERANCE
) -> Twins:
    """The Twins of one pair id's clips: their earliest divergence over every (possible, impossible) comparison,
    and the median of all their scored surprise values.

    `frames`: each clip's (T, S, S, 3) model frames; `labels`: each one's "possible" / "impossible"; `values`: each
    one's (T,) surprise, NaN where not scored; `fps`: the model's rate.
    """
    firsts = [
        divergence_frame(frames[i], frames[j], tolerance)
        for i, label in enumerate(labels)
        if label == "possible"
        for j, other in enumerate(labels)
        if other == "impossible"
    ]
    found = [t for t in firsts if t is not None]
    pooled = np.concatenate([np.asarray(v, dtype=float) for v in values])
    baseline = float(np.nanmedian(pooled)) if np.isfinite(pooled).any() else float("nan")
    return Twins(min(found) / fps if found else None, baseline)


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest blurred grey-level difference of two frames, as a share of the full scale."""
    grey_a = cv2.GaussianBlur(a.astype(np.float32).mean(axis=-1), (0, 0), BLUR_PIXELS)
    grey_b = cv2.GaussianBlur(b.astype(np.float32).mean(axis=-1), (0, 0), BLUR_PIXELS)
    return float(np.abs(grey_a - grey_b).max()) / 255.0
