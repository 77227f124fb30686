"""What the camera's sensor does to a look's frames: blur and grain, the same in both twins of a pair.

Grain at frame t is drawn from (seed, attempt, t) alone, so two twins that show the same
picture at frame t also show the same grain there, and the pair stays identical before its onset.
"""

from __future__ import annotations

import cv2
import numpy as np

from physlab.scenes.looks import ConcreteLook

GRAIN_STREAM = 0x6A1


def film_frames(frames: np.ndarray, look: ConcreteLook | None, seed: int, attempt: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8 with the look's blur (Gaussian, sigma in pixels) then grain (noise std in levels)."""
    if look is None or (look.blur <= 0.0 and look.grain <= 0.0):
        return frames
    out = np.empty_like(frames)
    for t, frame in enumerate(frames):
        image = cv2.GaussianBlur(frame, (0, 0), look.blur) if look.blur > 0.0 else frame
        if look.grain > 0.0:
            noise = np.random.default_rng([seed, attempt, t, GRAIN_STREAM]).normal(0.0, look.grain, image.shape)
            image = np.clip(image + noise, 0, 255).astype(np.uint8)
        out[t] = image
    return out
