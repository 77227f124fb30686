"""A look's clip as a training shard holds it: through the look's codec, then fitted into square frames.

Frames go through the codec's round trip at the rendered size, then `physlab.data.video.fit_frame`
(letterbox or centre crop, the look draws which) makes them `size` x `size`; the masks take the
same geometry with nearest-neighbour sampling, so every pixel keeps an object id.
"""

from __future__ import annotations

import cv2
import numpy as np

from physlab.data.codecs import round_trip
from physlab.data.video import fit_frame
from physlab.scenes.clips import Clip


def training_view(clip: Clip, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, size, size, 3) uint8 frames after the look's codec, and (T, size, size) uint8 masks, fitted alike."""
    if clip.look is None:
        return clip.frames, clip.masks
    mode = clip.look.fit
    frames = round_trip(clip.frames, clip.fps, clip.look)
    fitted = np.stack([fit_frame(frame, size, mode) for frame in frames])
    return fitted, fit_masks(clip.masks, size, mode)


def fit_masks(masks: np.ndarray, size: int, mode: str) -> np.ndarray:
    """(T, H, W) object ids -> (T, size, size), with `fit_frame`'s geometry and nearest-neighbour sampling (0 pads)."""
    height, width = masks.shape[1:3]
    if (height, width) == (size, size):
        return masks
    scale = size / max(height, width) if mode == "letterbox" else size / min(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    out = np.zeros((len(masks), size, size), dtype=masks.dtype)
    for t, mask in enumerate(masks):
        resized = cv2.resize(np.ascontiguousarray(mask), (new_w, new_h), interpolation=cv2.INTER_NEAREST)
        if mode == "crop":
            top, left = (new_h - size) // 2, (new_w - size) // 2
            out[t] = resized[top : top + size, left : left + size]
        else:
            top, left = (size - new_h) // 2, (size - new_w) // 2
            out[t, top : top + new_h, left : left + new_w] = resized
    return out
