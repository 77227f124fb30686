"""Training clips filmed differently: another palette, exposure and framing, the same physics.

Each change holds for a whole clip, so how things move is untouched; only the look varies,
so that a model does not learn one look (the floor's colour, the camera's distance) as part
of what is expected. Stimuli made by someone else differ in exactly these ways.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

CHANNEL_ORDERS = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))


def augment_clips(
    frames: torch.Tensor, rng: np.random.Generator, max_zoom: float = 1.3, maps: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(B, T, 3, H, W) in [0, 1] -> the same clips, each with its own palette, exposure and zoom.

    Per clip: the colour channels in another order, saturation scaled by 0.5-1.8 about each
    pixel's grey, contrast 0.8-1.2 and brightness -0.1..0.1, and a crop 1/zoom of the frame
    (zoom 1..max_zoom, anywhere) scaled back up: the objects nearer, the camera elsewhere.
    `maps` (B, T, h, w), any resolution, are cropped with their clip, so they stay on the same things.
    """
    out, out_maps = [], []
    for index, original in enumerate(frames):
        clip = original[:, list(CHANNEL_ORDERS[rng.integers(len(CHANNEL_ORDERS))])]
        grey = clip.mean(dim=1, keepdim=True)
        saturated = grey + rng.uniform(0.5, 1.8) * (clip - grey)
        exposed = rng.uniform(0.8, 1.2) * (saturated - 0.5) + 0.5 + rng.uniform(-0.1, 0.1)
        zoom = rng.uniform(1.0, max_zoom)
        shift = rng.uniform(-1.0, 1.0, size=2) * (1.0 - 1.0 / zoom)  # where the crop sits, as a fraction of the room
        out.append(_crop(exposed.clamp(0.0, 1.0), zoom, shift))
        if maps is not None:
            out_maps.append(_crop(maps[index][:, None].float(), zoom, shift)[:, 0])
    return torch.stack(out), (torch.stack(out_maps) if maps is not None else None)


def _crop(images: torch.Tensor, zoom: float, shift: np.ndarray) -> torch.Tensor:
    """(T, C, H, W): the part 1/zoom of each side, centred at `shift` (x, y in -1..1 coordinates), scaled back up.

    Defined in coordinates relative to the image, so a frame and a coarser map of it crop alike.
    """
    if zoom == 1.0:
        return images
    theta = torch.tensor([[1.0 / zoom, 0.0, shift[0]], [0.0, 1.0 / zoom, shift[1]]], dtype=images.dtype, device=images.device)
    grid = F.affine_grid(theta.expand(len(images), 2, 3), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
