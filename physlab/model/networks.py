"""The building blocks: a frame encoder that keeps a spatial grid, and a temporal predictor."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from physlab.model.config import MIN_CONTEXT, ModelConfig


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels), channels)


def _conv_block(inputs: int, outputs: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1), _norm(outputs), nn.GELU()]


class FrameEncoder(nn.Module):
    """(N, 3, H, W) in [0, 1] -> (N, D, H/s, W/s), s the config's `cell_pixels`: a grid of latents, so a small
    object still matters. Stride 4 leaves out the last downsampling; the weights are the same. With `input_fold`
    2, each 2x2 block of pixels is folded into 12 channels first (space-to-depth), so the rest works at half
    the size."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        c1, c2, c3 = config.channels
        self.fold = config.input_fold
        self.motion = config.input_motion
        self.standardise = config.input_standardise
        # Splatted into one Sequential, so the weights keep their names (net.0, net.1, ...) in saved models.
        self.net = nn.Sequential(
            *_conv_block(3 * (1 + self.motion) * self.fold**2, c1, stride=2),
            *_conv_block(c1, c2, stride=2),
            *_conv_block(c2, c2),
            *_conv_block(c2, c3, stride=config.latent_stride // 4),
            *_conv_block(c3, c3),
            nn.Conv2d(c3, config.latent_dim, 1),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) in [0, 1], or with `input_motion` (N, 6, H, W): the frame and its change in [-1, 1]."""
        centred = images * 2.0 - 1.0 if not self.motion else torch.cat([images[:, :3] * 2.0 - 1.0, images[:, 3:] * 2.0], 1)
        return self.net(F.pixel_unshuffle(centred, self.fold) if self.fold > 1 else centred)


class ResidualBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.net = nn.Sequential(
            _norm(width),
            nn.GELU(),
            nn.Conv2d(width, width, 3, padding=1),
            _norm(width),
            nn.GELU(),
            nn.Conv2d(width, width, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class TemporalPredictor(nn.Module):
    """(B, K, D, g, g) latents of K context frames -> (B, horizon, D, g, g) of the next frames.

    The context frames are stacked as channels, so velocity and what went behind a screen a
    few frames ago are both in view; coordinate channels let it learn where things are. A
    validity flag per context slot, (B, K), or per slot and cell, (B, K, g, g), lets it predict
    from the first frames of a clip, where fewer than K frames exist, and from windows with
    hidden cells (missing ones are zeros).
    """

    def __init__(self, config: ModelConfig, out_dim: int | None = None):
        super().__init__()
        self.horizon = config.horizon
        self.out_dim = out_dim or config.predicted_dim
        width, dim = config.predictor_width, config.predicted_dim
        self.stem = nn.Conv2d(config.context * (dim + 1) + 2, width, 1)
        # What each context frame holds anywhere in view, pooled over its visible cells: a cell where a
        # hidden object will come out can read the object's look from there, wherever it was last seen.
        self.summary = nn.Linear(config.context * (2 * dim + 1), width) if config.predictor_summary else None
        if self.summary is not None:  # starts as a no-op, so a trained predictor can be fine-tuned with it
            nn.init.zeros_(self.summary.weight)
            nn.init.zeros_(self.summary.bias)
        self.blocks = nn.Sequential(*[ResidualBlock(width) for _ in range(config.predictor_blocks)])
        self.head = nn.Sequential(_norm(width), nn.GELU(), nn.Conv2d(width, self.horizon * self.out_dim, 1))

    def forward(self, context: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        batch, steps, dim, height, width = context.shape
        flags = valid.to(context)
        flags = flags if flags.dim() == 4 else flags[:, :, None, None].expand(batch, steps, height, width)
        x = (context * flags[:, :, None]).reshape(batch, steps * dim, height, width)
        x = self.stem(torch.cat([x, flags, coordinates(x, height, width)], dim=1))
        if self.summary is not None:
            x = x + self.summary(_pooled_summary(context, flags))[:, :, None, None]
        out = self.head(self.blocks(x))
        return out.reshape(batch, self.horizon, self.out_dim, height, width)


def coordinates(like: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(N, 2, height, width) channels of each cell's row and column in [-1, 1], N, dtype and device as `like`'s:
    they let a convolution learn where things are."""
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
    return torch.stack([ys, xs]).to(like).expand(like.shape[0], 2, height, width)


def _pooled_summary(context: torch.Tensor, flags: torch.Tensor) -> torch.Tensor:
    """(B, K, D, g, g) latents and (B, K, g, g) validity -> (B, K * (2D + 1)): each frame's max and mean
    over its valid cells, and whether it has any (a frame with none gives zeros)."""
    batch, steps, dim = context.shape[:3]
    seen = flags[:, :, None].flatten(3)  # (B, K, 1, g*g)
    values = context.flatten(3)
    count = seen.sum(-1)
    mean = (values * seen).sum(-1) / count.clamp(min=1)
    peak = torch.where(seen > 0, values, torch.finfo(values.dtype).min).amax(-1)
    peak = torch.where(count > 0, peak, torch.zeros_like(peak))
    return torch.cat([peak, mean, (count > 0).to(values)], dim=2).reshape(batch, steps * (2 * dim + 1))


def appearance_code(frames: torch.Tensor, stride: int) -> torch.Tensor:
    """(B, T, 3, H, W) in [0, 1] -> (B, T, 12, H/stride, W/stride): each cell's mean colour in each of its
    quarters, centred on grey. Not learned, so training cannot throw it away."""
    batch, steps = frames.shape[:2]
    quarters = F.avg_pool2d(frames.flatten(0, 1), stride // 2)
    cells = F.pixel_unshuffle(quarters - 0.5, 2)
    return cells.reshape(batch, steps, *cells.shape[1:])


def as_pictures(frames: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(..., H, W, 3) uint8 frames as stored, rendered and read -> (..., 3, H, W) floats in [0, 1], an encoder's
    input; a tensor stays on its device."""
    frames = torch.from_numpy(np.ascontiguousarray(frames)) if isinstance(frames, np.ndarray) else frames
    return frames.movedim(-1, -3).float() / 255.0


def encode_clips(encoder: nn.Module, frames: torch.Tensor) -> torch.Tensor:
    """Every frame of every clip through a frame encoder: (B, T, 3, H, W) -> (B, T, D, g, g); an encoder with
    `motion` gets each frame with its change from the one before, one that can `standardise` frames standardised
    by their clip's first frame."""
    batch, steps = frames.shape[:2]
    if getattr(encoder, "standardise", False):
        first = frames[:, :1]
        mean, spread = first.mean(dim=(-2, -1), keepdim=True), first.std(dim=(-2, -1), keepdim=True)
        frames = 0.5 + (frames - mean) / (4.0 * spread + 1e-3)  # z / 4 around mid-grey: a picture's range for z in +-2
    if getattr(encoder, "motion", False):
        before = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)
        frames = torch.cat([frames, frames - before], dim=2)
    latents = encoder(frames.flatten(0, 1))
    return latents.reshape(batch, steps, *latents.shape[1:])


def latent_std(latents: torch.Tensor) -> float:
    """The collapse monitor: mean over dimensions of each latent dimension's std across samples."""
    flat = latents.detach().permute(0, 1, 3, 4, 2).reshape(-1, latents.shape[2])
    return flat.std(dim=0).mean().item()


def context_windows(latents: torch.Tensor, context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For every frame t, the `context` frames before it, zero-padded before the clip starts.

    (B, T, D, g, g) -> windows (B, T, context, D, g, g) and valid (T, context) flags.
    """
    steps = latents.shape[1]
    padded = torch.cat([torch.zeros_like(latents[:, :1]).expand(-1, context, -1, -1, -1), latents[:, :-1]], dim=1)
    windows = padded.unfold(1, context, 1).permute(0, 1, 5, 2, 3, 4)  # (B, T, K, D, g, g)
    source = torch.arange(steps)[:, None] - context + torch.arange(context)[None]
    return windows, source >= 0


def pool_space(errors: torch.Tensor, how: str) -> torch.Tensor:
    """(..., g, g) error maps -> (...): max keeps a small surprising object from being averaged away."""
    flat = errors.flatten(-2)
    return flat.amax(-1) if how == "max" else flat.mean(-1)


def windows_at(latents: torch.Tensor, context: int, chosen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The context windows before frames `chosen` (B, n): (B*n, K, D, g, g) and their (B*n, K) valid flags."""
    windows, valid = context_windows(latents, context)
    rows = torch.arange(latents.shape[0])[:, None]
    return windows[rows, chosen].flatten(0, 1), valid[chosen].flatten(0, 1)


def training_windows(
    latents: torch.Tensor, config: ModelConfig, chosen: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The windows scoring would use before frames `chosen`, with `config.context_masking`'s hidden blocks:
    (B*n, K, D, g, g) and their (B*n, K, g, g) per-cell validity."""
    windows, valid = windows_at(latents, config.context, chosen)
    return windows, hide_moving_blocks(windows, valid, config.context_masking, generator)


def hide_moving_blocks(
    windows: torch.Tensor, valid: torch.Tensor, fraction: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Per-cell validity (N, K, g, g) that hides a block of cells in the last frames of some windows.

    In a `fraction` of the (N, K, D, g, g) windows, a block of 2-4 cells a side, centred where the
    latents change most (where something moves), is hidden in the last 1..K-2 frames, as if it
    had gone behind a screen: to predict the frames after the window the predictor must carry
    what was there, its look included, from the frames before (V-JEPA's masking, in time).
    """
    count, steps, _, height, width = windows.shape
    cells = valid.cpu()[:, :, None, None].expand(count, steps, height, width).clone()
    if steps < 3 or fraction <= 0:
        return cells.to(windows.device)
    # The draws stay on the CPU, where the seeded generator is, so a run draws the same blocks on any device.
    motion = (windows[:, 1:] - windows[:, :-1]).detach().float().pow(2).mean(2).sum(1).flatten(1).cpu()  # (N, g*g)
    centre = torch.multinomial(motion + 1e-6, 1, generator=generator)[:, 0]
    size = torch.randint(2, 5, (count,), generator=generator)
    span = torch.randint(1, steps - 1, (count,), generator=generator)
    hidden = torch.rand(count, generator=generator) < fraction
    ys, xs = torch.arange(height)[None, :], torch.arange(width)[None, :]
    top, left = (centre // width)[:, None] - size[:, None] // 2, (centre % width)[:, None] - size[:, None] // 2
    rows = (ys >= top) & (ys < top + size[:, None])
    columns = (xs >= left) & (xs < left + size[:, None])
    block = rows[:, :, None] & columns[:, None, :]  # (N, g, g)
    late = torch.arange(steps)[None, :] >= steps - span[:, None]  # (N, K)
    cells &= ~(block[:, None] & late[:, :, None, None] & hidden[:, None, None, None])
    return cells.to(windows.device)


def horizon_targets(targets: torch.Tensor, chosen: torch.Tensor, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames chosen + j for j < horizon: (B*n, horizon, ...) and a (B*n, horizon) mask of those inside the clip,
    both on the targets' device (`chosen` may be on the CPU, where the batch was drawn)."""
    steps = targets.shape[1]
    index = chosen[..., None] + torch.arange(horizon)
    rows = torch.arange(targets.shape[0])[:, None, None]
    return targets[rows, index.clamp(max=steps - 1)].flatten(0, 1), (index < steps).flatten(0, 1).to(targets.device)


# The share of the training signal the hypotheses that are not the nearest get together (Rupprecht et al. 2017's
# epsilon): enough that none is left where no target ever comes, too little to pull them back to the mean.
RELAXATION = 0.05


def nearest_hypotheses(cells: torch.Tensor, scores: torch.Tensor, training: bool) -> torch.Tensor:
    """Per-cell energies of K hypotheses (N, h, K, g, g) -> (N, h, g, g): the energies of the hypothesis with the
    lowest score (N, h, K) at each entry. For training, the relaxed winner-takes-all mix (Rupprecht et al. 2017):
    the nearest weighs 1 - RELAXATION and the others share RELAXATION; scores carry no gradient."""
    count = cells.shape[2]
    nearest = scores.detach().argmin(dim=2, keepdim=True)  # (N, h, 1)
    if count == 1 or not training:
        return cells.gather(2, nearest[..., None, None].expand(-1, -1, -1, *cells.shape[-2:]))[:, :, 0]
    weights = torch.full_like(scores, RELAXATION / (count - 1), dtype=cells.dtype)
    weights.scatter_(2, nearest, 1.0 - RELAXATION)
    return (cells * weights[..., None, None]).sum(dim=2)


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of (N, h, ...) values over the (N, h) entries the mask keeps."""
    per_entry = values.flatten(2).mean(-1)
    return (per_entry * mask).sum() / mask.sum().clamp(min=1)


def scoring_predictions(predictor: nn.Module, latents: torch.Tensor, context: int) -> torch.Tensor:
    """Every prediction a clip allows: (B, T, D, g, g) latents -> (B, n, horizon, ...).

    Window i of each clip ends just before frame MIN_CONTEXT + i, and its k-th prediction
    (k from 0) lands on frame MIN_CONTEXT + i + k.
    """
    batch, steps = latents.shape[:2]
    windows, valid = context_windows(latents, context)
    windows, valid = windows[:, MIN_CONTEXT:], valid[MIN_CONTEXT:]
    predicted = predictor(windows.flatten(0, 1), valid.repeat(batch, 1))
    return predicted.reshape(batch, steps - MIN_CONTEXT, *predicted.shape[1:])


def unscored(batch: int, steps: int, config: ModelConfig, combine: bool = True) -> torch.Tensor:
    """The surprise of clips too short for any prediction: NaN, shaped as `horizon_surprise` gives it ((B, T), or
    (B, surprise_horizon, T) with `combine=False`)."""
    return torch.full((batch, steps) if combine else (batch, config.surprise_horizon, steps), float("nan"))


def horizon_surprise(
    predicted: torch.Tensor,
    steps: int,
    config: ModelConfig,
    energy: Callable[[torch.Tensor, int], torch.Tensor],
    combine: bool = True,
) -> torch.Tensor:
    """(B, T) surprise of each frame from the predictions made 1..surprise_horizon frames before it, NaN where none
    reaches from at least `config.context_needed` real frames; with `combine=False`, (B, surprise_horizon, T), row k
    the energy of the prediction made k + 1 frames before each frame.

    `predicted` is scoring_predictions' (B, n, horizon, ...); `energy(predictions, first)` scores
    (B, m, ...) predictions of frames first..first+m-1 against the clip and returns (B, m). The
    horizons combine as `config.surprise_horizons` says.
    """
    batch, count = predicted.shape[:2]
    surprise = torch.full((batch, config.surprise_horizon, steps), float("nan"))
    for k in range(min(config.surprise_horizon, count)):
        surprise[:, k, MIN_CONTEXT + k :] = energy(predicted[:, : count - k, k], MIN_CONTEXT + k).float().cpu()
        # A prediction made from fewer real frames than config.context_needed is not scored.
        surprise[:, k, : config.context_needed + k] = float("nan")
    return _combine_horizons(surprise, config.surprise_horizons) if combine else surprise


def _combine_horizons(surprise: torch.Tensor, how: str) -> torch.Tensor:
    """(B, horizons, T) -> (B, T): the farthest horizon's, or the max or mean over those that reach a frame."""
    if how == "farthest":
        return surprise[:, -1]
    if how == "mean":
        return torch.nanmean(surprise, dim=1)
    reached = ~torch.isnan(surprise)
    best = torch.where(reached, surprise, float("-inf")).amax(dim=1)
    return torch.where(reached.any(dim=1), best, float("nan"))
