"""Where a clip's motion is: a crop box around everything that moves, so that a small event in a wide, still view
fills more of the model's picture (`physlab evaluate --crop motion`).

A model that sees 64x64 pixels shrinks an 8-pixel ball of a 600x400 frame to under one pixel; a crop of the event's
region keeps it visible (docs/results.md, the smallest object: a hand-given crop raised 2-4 px balls from 0.75-0.83
to 0.83-0.92). This finds such a region from the clip itself: the pixels whose brightness ever changes between two
model frames by much more than the clip's noise. Twins of a pair are cropped alike (the union of their boxes), so
that they differ only in their events. A camera that pans, or motion everywhere, gives no crop.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from physlab.data.video import ModelInput, Video, fitted_size, read_video

MOTION_SIZE = 192  # pixels a side the motion is looked for at: finer than the model, cheap to read
CHANGE_FLOOR = 8.0  # grey levels: a smaller change is codec or dither noise
PAD = 0.15  # of the moving region's size, on each side
MIN_SIDE = 0.35  # of the frame's shorter side: a crop never zooms in further
WHOLE = 0.9  # a box covering more of the frame than this is no crop

Box = tuple[float, float, float, float]  # x, y, width, height in source pixels


class Region(NamedTuple):
    """A box (source pixels) and the size of the frame it is in."""

    x: float
    y: float
    w: float
    h: float
    source_w: int
    source_h: int


def motion_input(spec: ModelInput) -> ModelInput:
    """How clips are read to find their motion: the model's times, MOTION_SIZE letterboxed."""
    return ModelInput(spec.fps, MOTION_SIZE, "letterbox", spec.min_frames, spec.max_seconds)


def read_motion_region(path: str | Path, spec: ModelInput, fps: float | None = None) -> Region | None:
    """Where a clip moves (`motion_region`), read from its file. Raises PhyslabError as `read_video` does."""
    return motion_region(read_video(path, motion_input(spec), fps=fps))


def motion_region(video: Video) -> Region | None:
    """The box around what moves in a Video read letterboxed (`motion_input`): x, y, width, height in source
    pixels, with the source's width and height; None when nothing moves."""
    width, height = video.source_size
    if len(video.frames) < 2 or not width or not height:
        return None
    grey = video.frames.astype(np.float32).mean(axis=3)
    change = np.abs(np.diff(grey, axis=0)).max(axis=0)
    threshold = max(0.25 * float(np.quantile(change, 0.995)), CHANGE_FLOOR)
    ys, xs = np.nonzero(change > threshold)
    if len(xs) < 4:
        return None
    size = video.frames.shape[1]
    shown_w, shown_h = fitted_size(width, height, size, "letterbox")
    left, top = (size - shown_w) // 2, (size - shown_h) // 2
    scale_x, scale_y = width / shown_w, height / shown_h
    x0, x1 = (np.quantile(xs, [0.005, 0.995]) - left) * scale_x
    y0, y1 = (np.quantile(ys, [0.005, 0.995]) - top) * scale_y
    return Region(float(x0), float(y0), float(x1 + 1 - x0), float(y1 + 1 - y0), width, height)


def motion_crop(regions: list[Region | None]) -> Box | None:
    """The crop box of clips shown alike (a pair's twins): a square around the union of their moving regions,
    PAD larger on each side and at least MIN_SIDE of the frame's shorter side, kept inside the frame; None when a
    clip does not move, the clips differ in size, or the box is nearly the whole frame."""
    if not regions or any(r is None for r in regions) or len({(r.source_w, r.source_h) for r in regions}) > 1:
        return None
    width, height = regions[0].source_w, regions[0].source_h
    x0 = min(r.x for r in regions)
    y0 = min(r.y for r in regions)
    x1 = max(r.x + r.w for r in regions)
    y1 = max(r.y + r.h for r in regions)
    side = max(max(x1 - x0, y1 - y0) * (1 + 2 * PAD), MIN_SIDE * min(width, height))
    crop_w, crop_h = min(width, side), min(height, side)
    if crop_w * crop_h > WHOLE * width * height:
        return None
    left = min(max(0.0, (x0 + x1 - crop_w) / 2), width - crop_w)
    top = min(max(0.0, (y0 + y1 - crop_h) / 2), height - crop_h)
    return (round(left), round(top), round(crop_w), round(crop_h))
