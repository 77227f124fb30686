"""The colour channel: which colours are in view, and how much of each, predicted from the frames before.

The JEPA's latents keep what predicts motion, and an object's colour does not: the bundled encoder
keeps 5% of a colour change (README). A fixed per-cell colour code beside the latents made the
change visible, yet the predictor still could not say where and when a hidden object comes out, and
its error there swamped the colour. A frame's colour histogram has no positions: to predict it, a
model only has to expect that what went behind a screen comes back as it was. This module holds the
histogram (fixed, never trained away) and a small predictor of it, trained on possible events like
the JEPA; its error is a second channel of surprise (physlab/model/jepa.py combines the two).
"""

from __future__ import annotations

import torch
from torch import nn

from physlab.model.config import APPEARANCE_CHANNELS, ModelConfig
from physlab.model.networks import ResidualBlock, appearance_code, coordinates

FINE_LEVELS = 16  # values per channel pixels are counted at before the soft bins


def colour_histogram(frames: torch.Tensor, levels: int) -> torch.Tensor:
    """(B, T, 3, H, W) in [0, 1] -> (B, T, levels**3): each frame's share of pixels near each colour.

    Each channel is binned softly (a triangle around `levels` evenly spaced values), so a colour
    between two bins counts in both and a slight change of shading moves mass smoothly. Pixels are
    first counted on a grid of 16 values per channel and the counts spread over the soft bins: one
    pass over the pixels (6x faster than weighing each pixel; within 0.005 of that on 64 px frames of noise). The square root
    of each share keeps a small object's colours (a ball is 1-2% of the frame) from being drowned by
    the floor's and the sky's.
    """
    batch, steps = frames.shape[:2]
    grid = (frames.detach().clamp(0.0, 1.0) * (FINE_LEVELS - 1)).round().long()
    fine = (grid[:, :, 0] * FINE_LEVELS + grid[:, :, 1]) * FINE_LEVELS + grid[:, :, 2]  # (B, T, H, W)
    offsets = torch.arange(batch * steps, device=frames.device).view(batch, steps, 1) * FINE_LEVELS**3
    counts = torch.bincount((fine.flatten(2) + offsets).flatten(), minlength=batch * steps * FINE_LEVELS**3)
    counts = counts.view(batch, steps, FINE_LEVELS**3).float()
    shares = counts @ _spread(levels, frames.device)
    return (shares / shares.sum(-1, keepdim=True).clamp(min=1e-12)).sqrt()


def _spread(levels: int, device: torch.device) -> torch.Tensor:
    """(16**3, levels**3): how much of a fine colour falls in each soft bin (a triangle per channel)."""
    fine = torch.linspace(0.0, 1.0, FINE_LEVELS, device=device)[:, None]
    coarse = torch.linspace(0.0, 1.0, levels, device=device)[None]
    channel = torch.relu(1.0 - (fine - coarse).abs() * (levels - 1))
    return torch.kron(channel, torch.kron(channel, channel))


class ColourPredictor(nn.Module):
    """What each context frame looks like -> (N, horizon, bins), the colour histograms of the next frames.

    It sees `colour_view`'s (N, K, bins + 12, g, g) windows with (N, K) validity: each frame's
    histogram, and where its colours are (each latent cell's quarter-mean colours, as
    `appearance_code`), so it can tell when a ball reaches a screen and when it should come out.
    Besides the frames themselves it gets, per colour, the most of it any context frame held: what
    was in view before something went behind a screen is at hand when it should come back. It
    predicts the change from the last context frame, which is what stays put most of the time.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.horizon = config.horizon
        self.bins = config.colour_levels**3
        width, space = config.colour_width, max(8, config.colour_width // 16)
        self.space = nn.Sequential(
            nn.Conv2d(config.context * (APPEARANCE_CHANNELS + 1) + 2, space, 1),
            ResidualBlock(space),
            ResidualBlock(space),
        )
        self.net = nn.Sequential(
            nn.Linear(config.context * (self.bins + 1) + 2 * self.bins + 2 * space, width),
            nn.GELU(),
            nn.Linear(width, width),
            nn.GELU(),
            nn.Linear(width, self.horizon * self.bins),
        )

    def forward(self, context: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        count, steps, _, height, width = context.shape
        flags = valid.to(context)
        seen = context * flags[:, :, None, None, None]
        histograms, code = seen[:, :, : self.bins, 0, 0], seen[:, :, self.bins :]
        memory = histograms.amax(dim=1)  # histograms are >= 0, so a missing frame (zeros) never wins
        last = histograms[:, -1]
        grid = torch.cat(
            [
                code.flatten(1, 2),
                flags[:, :, None, None].expand(count, steps, height, width),
                coordinates(context, height, width),
            ],
            dim=1,
        )
        where = self.space(grid).flatten(2)
        features = torch.cat([histograms.flatten(1), flags, memory, last, where.amax(-1), where.mean(-1)], dim=1)
        change = self.net(features).reshape(count, self.horizon, self.bins)
        return last[:, None] + change


def colour_view(frames: torch.Tensor, levels: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T, 3, H, W) -> what the colour predictor sees of each frame, (B, T, bins + 12, g, g) (the histogram
    repeated over the grid, then the cells' quarter-mean colours), and the histograms (B, T, bins) it predicts."""
    histograms = colour_histogram(frames, levels)
    code = appearance_code(frames, stride)
    spread = histograms[..., None, None].expand(*histograms.shape, *code.shape[-2:])
    return torch.cat([spread, code.to(histograms)], dim=2), histograms
