"""Training clips filmed differently: another palette, exposure and framing, the same physics.

Each change holds for a whole clip, so how things move is untouched; only the look varies,
so that a model does not learn one look (the floor's colour, the camera's distance) as part
of what is expected. Stimuli made by someone else differ in exactly these ways.

`film=True` adds what another camera and another lab's lighting do to a clip: dim or washed-out
light (a gamma curve and a wider contrast range), a colour cast (white balance), a soft lens
(blur) and sensor grain (noise, the one change drawn anew each frame). It is domain
randomization of the kind Tobin et al. (2017) used to carry a model from simulation to cameras.

`restyle_clips` films the very same frames a second way (the palette and the light, never the framing), for
`cross_view` training: the context is seen in one look and the targets are encoded from another, so what the
predictor can foresee, and so what the latents keep, is what both looks share (the invariance of BYOL and
VICReg's two views, Grill et al. 2020, Bardes et al. 2022, here across time as well).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

CHANNEL_ORDERS = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))


def augment_clips(
    frames: torch.Tensor,
    rng: np.random.Generator,
    max_zoom: float = 1.3,
    maps: torch.Tensor | None = None,
    film: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(B, T, 3, H, W) in [0, 1] -> the same clips, each with its own palette, exposure and zoom.

    Per clip: the colour channels in another order, saturation scaled by 0.5-1.8 about each
    pixel's grey, contrast 0.8-1.2 and brightness -0.1..0.1, and a crop 1/zoom of the frame
    (zoom 1..max_zoom, anywhere) scaled back up: the objects nearer, the camera elsewhere.
    `maps` (B, T, h, w) or (B, T, k, h, w), any resolution, are cropped with their clip, so they stay on the same things.
    With `film`, also per clip: gamma 0.6-1.8 (1.8 is dusk), a further contrast 0.7-1.0, a gain of
    0.85-1.15 on each channel, a Gaussian blur of 0.4-0.9 px (in a third of the clips), and in half
    of them grain of 0.005-0.03 drawn anew each frame. The draws of the plain mode come first and
    are the same with or without `film`.
    """
    out, out_maps = [], []
    for index, original in enumerate(frames):
        exposed = _palette(original, rng)
        zoom = rng.uniform(1.0, max_zoom)
        shift = rng.uniform(-1.0, 1.0, size=2) * (1.0 - 1.0 / zoom)  # where the crop sits, as a fraction of the room
        if film:
            exposed = _film(exposed, rng)
        out.append(_crop(exposed, zoom, shift))
        if maps is not None:
            clip_maps = maps[index].float()  # (T, h, w) or (T, k, h, w): the k maps crop as channels
            cropped = _crop(clip_maps.reshape(len(clip_maps), -1, *clip_maps.shape[-2:]), zoom, shift)
            out_maps.append(cropped.reshape(clip_maps.shape))
    return torch.stack(out), (torch.stack(out_maps) if maps is not None else None)


def restyle_clips(frames: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """(B, T, 3, H, W) in [0, 1] -> the same clips in another look: per clip another channel order, saturation,
    exposure and the film changes (gamma, contrast, white balance, blur, grain), with no crop, so every pixel stays
    where it was and a latent cell of one look lies on the same things as in the other."""
    return torch.stack([_film(_palette(clip, rng), rng) for clip in frames])


def _palette(clip: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """(T, 3, H, W) in [0, 1]: the colour channels in another order, saturation 0.5-1.8 about each pixel's grey,
    contrast 0.8-1.2 and brightness -0.1..0.1."""
    clip = clip[:, list(CHANNEL_ORDERS[rng.integers(len(CHANNEL_ORDERS))])]
    grey = clip.mean(dim=1, keepdim=True)
    saturated = grey + rng.uniform(0.5, 1.8) * (clip - grey)
    return (rng.uniform(0.8, 1.2) * (saturated - 0.5) + 0.5 + rng.uniform(-0.1, 0.1)).clamp(0.0, 1.0)


def _film(clip: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """(T, 3, H, W) in [0, 1]: another camera's light, white balance, lens and grain."""
    gamma = float(np.exp(rng.uniform(np.log(0.6), np.log(1.8))))
    contrast = rng.uniform(0.7, 1.0)
    gains = torch.tensor(rng.uniform(0.85, 1.15, size=3), dtype=clip.dtype, device=clip.device).view(1, 3, 1, 1)
    blur = rng.uniform(0.4, 0.9) if rng.random() < 1 / 3 else 0.0
    grain = rng.uniform(0.005, 0.03) if rng.random() < 0.5 else 0.0
    noise_seed = int(rng.integers(2**62))
    lit = clip.clamp_min(1e-4) ** gamma
    lit = (contrast * (lit - lit.mean()) + lit.mean()) * gains
    if blur:
        lit = _gaussian_blur(lit, blur)
    if grain:
        noise = torch.randn(lit.shape, generator=torch.Generator().manual_seed(noise_seed), dtype=lit.dtype)
        lit = lit + grain * noise.to(lit.device)
    return lit.clamp(0.0, 1.0)


def _gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """(N, C, H, W) blurred by a separable Gaussian of `sigma` pixels, edges repeated."""
    radius = max(1, int(math.ceil(2.5 * sigma)))
    taps = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    padded = F.pad(images, (radius, radius, radius, radius), mode="replicate")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def _crop(images: torch.Tensor, zoom: float, shift: np.ndarray) -> torch.Tensor:
    """(T, C, H, W): the part 1/zoom of each side, centred at `shift` (x, y in -1..1 coordinates), scaled back up.

    Defined in coordinates relative to the image, so a frame and a coarser map of it crop alike.
    """
    if zoom == 1.0:
        return images
    theta = torch.tensor([[1.0 / zoom, 0.0, shift[0]], [0.0, 1.0 / zoom, shift[1]]], dtype=images.dtype, device=images.device)
    grid = F.affine_grid(theta.expand(len(images), 2, 3), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
