"""An action-conditioned world model: a JEPA that predicts the embedding of the next picture given an action.

After LeWorldModel (Maes, Le Lidec, Scieur, LeCun, Balestriero 2026): the frame encoder of
`physlab.model.networks` (a conv net keeping an 8x8 grid), a projector ending in BatchNorm1d to one
embedding vector per picture, and a small transformer predictor over the last `history` embeddings whose
every block is conditioned on the action by adaptive layer norm (AdaLN-zero: shift, scale and gate from
the action, zero at initialisation, so the untrained predictor copies its input). Trained end to end,
with no EMA target and no stop-gradient, on next-embedding prediction (teacher-forced and open-loop
over `rollout` model steps) plus an anti-collapse term: VICReg's variance and covariance
(`physlab.model.jepa.vicreg_terms`) or SIGReg (a sketched Epps-Pulley test that the embeddings are
isotropic Gaussian). A model step is `frame_skip` env steps; its action is that chunk of velocity commands.

The pixel-space baseline (`kind: action_pixel`) is the same network with a decoder back to pixels,
trained to reconstruct the picture and predict the next ones in pixel space; it plans by pixel distance.

Two small heads read the frozen embeddings (stop-gradient): a probe of the bodies' positions (for
display, and the push world's guardrails) and a goal-conditioned inverse-dynamics policy (a baseline).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn

from physlab.model.config import ModelConfig
from physlab.model.jepa import vicreg_terms
from physlab.model.networks import FrameEncoder, coordinates

ACTION_DIM = 2  # a planar velocity command


class ActionModelConfig(BaseModel):
    """What the action-conditioned model is; saved in its file, so a file rebuilds itself."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["action_jepa", "action_pixel"] = "action_jepa"
    world: str = Field(..., description="the world it was trained in (its spec is saved beside)")
    image_size: int = Field(64, ge=16, multiple_of=8)
    frame_skip: int = Field(5, ge=1, description="env steps per model step")
    control_hz: float = Field(10.0, gt=0)
    state_dim: int = Field(2, ge=1, description="numbers in the world's state (positions, then a heading)")
    angle_symmetry: int = Field(0, ge=0, description="0: no heading in the state; else the heading's symmetry (4: a box)")
    latent_dim: int = Field(16, ge=4, description="channels of the encoder's 8x8 grid")
    channels: tuple[int, int, int] = (32, 64, 64)
    projector_width: int = 512
    embed_dim: int = Field(64, ge=4, description="numbers in a vector embedding")
    # How a picture becomes what the predictor and the cost see. "vector": a projector ending in BatchNorm1d, to
    # embed_dim numbers, as LeWorldModel. "grid": the encoder's 8x8 grid itself, each channel batch-normalised, so
    # that every part of the picture weighs in the cost by its area, as DINO-WM compares patch features: a small
    # pusher then counts less than the larger object it moves (measured in docs/planning.md).
    embedding: Literal["vector", "grid"] = "vector"
    # True: the encoder (and its projector) stay as initialised and only the predictor and heads learn: the
    # untrained-encoder world model, which Garrido et al. (2025) report beside every trained one. A trained
    # encoder keeps only what helps it predict, and on push it dropped the box's heading (docs/planning.md);
    # random conv features keep every part of the picture, at the price of a shorter reach.
    frozen_encoder: bool = False
    history: int = Field(1, ge=1, description="embeddings the predictor sees")
    # "transformer": a small transformer over the history whose blocks the action conditions by AdaLN-zero, as
    # LeWorldModel. "conv" (for a grid embedding): residual conv blocks over the grid (physlab.model.networks'), their
    # norms shifted, scaled and gated by the action (AdaLN-zero in a conv net): things move the same anywhere in
    # the picture and walls act where they are, which a transformer over the flattened grid has to learn cell by cell.
    predictor: Literal["transformer", "conv"] = "transformer"
    predictor_width: int = 128
    predictor_depth: int = Field(2, ge=1)
    predictor_heads: int = Field(4, ge=1)
    predictor_dropout: float = Field(0.1, ge=0, lt=1)
    regularizer: Literal["vicreg", "sigreg"] = "vicreg"
    variance_weight: float = Field(1.0, ge=0)
    covariance_weight: float = Field(0.04, ge=0)
    sigreg_weight: float = Field(0.1, ge=0)
    sigreg_directions: int = Field(256, ge=1)
    rollout: int = Field(4, ge=1, description="model steps of open-loop prediction in the loss")
    # Weight of a linear readout of the bodies' state (positions, a heading as its cosine and sine) from the embedding,
    # trained into the encoder (no stop-gradient), each number standardised over the batch. A trained encoder keeps
    # only what helps it predict, and on push it dropped the box's heading, which the goal cost then cannot see
    # (docs/planning.md); the readout makes the embedding keep the state, as DINO-WM's cost adds proprioception.
    # The simulator's state is training data beside the pictures, never a reward; planning sees pictures only. 0: off.
    state_weight: float = Field(0.0, ge=0)
    head_width: int = 256

    @model_validator(mode="after")
    def _conv_needs_grid(self) -> ActionModelConfig:
        if self.predictor == "conv" and self.embedding != "grid":
            raise ValueError("predictor: conv works on a grid embedding (embedding: grid)")
        if self.frozen_encoder and self.kind != "action_jepa":
            raise ValueError("frozen_encoder is for the JEPA (kind: action_jepa); the pixel baseline's encoder learns to decode")
        if self.state_weight > 0 and self.frozen_encoder:
            raise ValueError("state_weight teaches the encoder; a frozen_encoder does not learn")
        return self

    @property
    def fps(self) -> float:
        """Pictures per second the model sees: one per model step."""
        return self.control_hz / self.frame_skip

    @property
    def context_needed(self) -> int:
        """Pictures of real context before the first scored one (physlab.voe reads clips by it): one, the picture
        an action's outcome is predicted from."""
        return 1

    @property
    def first_scored_frame(self) -> int:
        return 1

    @property
    def grid(self) -> int:
        """Cells a side of the encoder's grid."""
        return self.image_size // 8

    @property
    def embedding_size(self) -> int:
        """Numbers in one picture's embedding."""
        return self.embed_dim if self.embedding == "vector" else self.latent_dim * self.grid * self.grid

    @property
    def probe_dim(self) -> int:
        """Numbers the probe reads out: the positions, and a heading as its cosine and sine."""
        return self.state_dim + (1 if self.angle_symmetry else 0)

    @property
    def chunk_dim(self) -> int:
        """Numbers in one model step's action: frame_skip velocity commands."""
        return self.frame_skip * ACTION_DIM

    @property
    def channel_names(self) -> tuple[str, ...]:
        return ("latents",) if self.kind == "action_jepa" else ("pixels",)

    def encoder_config(self) -> ModelConfig:
        """The watching model's config fields the shared frame encoder reads."""
        return ModelConfig(image_size=self.image_size, latent_dim=self.latent_dim, channels=self.channels, latent_stride=8)


class AdaLNBlock(nn.Module):
    """A transformer block whose norms are shifted, scaled and gated by a condition (DiT's AdaLN-zero)."""

    def __init__(self, width: int, heads: int, condition: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False)
        self.attention = nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Dropout(dropout), nn.Linear(4 * width, width))
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(condition, 6 * width))
        nn.init.zeros_(self.modulation[1].weight)
        nn.init.zeros_(self.modulation[1].bias)

    def forward(self, x: torch.Tensor, condition: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(condition).chunk(6, dim=-1)
        h = self.norm1(x) * (1 + scale1) + shift1
        x = x + gate1 * self._attend(h, mask)
        h = self.norm2(x) * (1 + scale2) + shift2
        return x + gate2 * self.mlp(h)

    def _attend(self, h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if h.shape[1] > 1 or self.training:
            return self.attention(h, h, h, attn_mask=mask, need_weights=False)[0]
        # One token attends only to itself: the attention is its value, projected (the same weights, a third
        # of the work; planning calls this on hundreds of candidates at every step).
        width = h.shape[-1]
        value = F.linear(h, self.attention.in_proj_weight[2 * width :], self.attention.in_proj_bias[2 * width :])
        return self.attention.out_proj(value)


class ConvAdaBlock(nn.Module):
    """A residual conv block (GroupNorm, GELU, 3x3 conv, twice) whose norms the condition shifts, scales and gates."""

    def __init__(self, width: int, condition: int):
        super().__init__()
        self.norm1, self.norm2 = (
            nn.GroupNorm(min(8, width), width, affine=False),
            nn.GroupNorm(min(8, width), width, affine=False),
        )
        self.conv1, self.conv2 = nn.Conv2d(width, width, 3, padding=1), nn.Conv2d(width, width, 3, padding=1)
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(condition, 5 * width))
        nn.init.zeros_(self.modulation[1].weight)
        nn.init.zeros_(self.modulation[1].bias)

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        shift1, scale1, shift2, scale2, gate = (part[:, :, None, None] for part in self.modulation(condition).chunk(5, dim=-1))
        h = self.conv1(F.gelu(self.norm1(x) * (1 + scale1) + shift1))
        h = self.conv2(F.gelu(self.norm2(h) * (1 + scale2) + shift2))
        return x + gate * h


class ConvActionPredictor(nn.Module):
    """(B, h, C*g*g) grid embeddings and (B, h, A) action chunks -> (B, 1, C*g*g): the grid after the last action.

    The h grids are stacked as channels with two coordinate channels; the last action conditions every block.
    The output is a change added to the last grid, zero at initialisation.
    """

    def __init__(self, config: ActionModelConfig):
        super().__init__()
        width, channels = config.predictor_width, config.latent_dim
        self.grid, self.channels, self.history = config.grid, channels, config.history
        self.stem = nn.Conv2d(channels * config.history + 2, width, 1)
        self.action = nn.Sequential(nn.Linear(config.chunk_dim, width), nn.SiLU(), nn.Linear(width, width))
        self.blocks = nn.ModuleList(ConvAdaBlock(width, width) for _ in range(config.predictor_depth))
        self.head = nn.Sequential(nn.GroupNorm(min(8, width), width), nn.GELU(), nn.Conv2d(width, channels, 1))
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, embeddings: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        batch, steps = embeddings.shape[:2]
        grids = embeddings.reshape(batch, steps, self.channels, self.grid, self.grid)
        if steps < self.history:  # fewer pictures than the model sees: the missing ones repeat the first
            grids = torch.cat([grids[:, :1].expand(-1, self.history - steps, -1, -1, -1), grids], dim=1)
        stacked = grids[:, -self.history :].reshape(batch, -1, self.grid, self.grid)
        x = self.stem(torch.cat([stacked, coordinates(stacked, self.grid, self.grid)], dim=1))
        condition = self.action(actions[:, -1])
        for block in self.blocks:
            x = block(x, condition)
        return (grids[:, -1] + self.head(x)).reshape(batch, 1, -1)


class ActionPredictor(nn.Module):
    """(B, h, E) embeddings and (B, h, A) actions -> (B, h, E): at each position, the next embedding.

    Causal over the h positions; the action of each position conditions its tokens through AdaLN.
    The output is a change added to the input embedding, zero at initialisation.
    """

    def __init__(self, config: ActionModelConfig):
        super().__init__()
        width = config.predictor_width
        self.inputs = nn.Linear(config.embedding_size, width)
        self.position = nn.Parameter(torch.zeros(config.history, width))
        self.action = nn.Sequential(nn.Linear(config.chunk_dim, width), nn.SiLU(), nn.Linear(width, width))
        self.blocks = nn.ModuleList(
            AdaLNBlock(width, config.predictor_heads, width, config.predictor_dropout) for _ in range(config.predictor_depth)
        )
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.output = nn.Linear(width, config.embedding_size)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def forward(self, embeddings: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        steps = embeddings.shape[1]
        x = self.inputs(embeddings) + self.position[-steps:]
        condition = self.action(actions)
        mask = torch.triu(torch.ones(steps, steps, dtype=torch.bool, device=x.device), 1) if steps > 1 else None
        for block in self.blocks:
            x = block(x, condition, mask)
        return embeddings + self.output(self.norm(x))


class PixelDecoder(nn.Module):
    """(N, E) embeddings -> (N, 3, S, S) pictures in [0, 1] (the pixel baseline's way back)."""

    def __init__(self, config: ActionModelConfig):
        super().__init__()
        c1, c2, c3 = config.channels
        self.start = config.image_size // 8
        self.stem = nn.Linear(config.embedding_size, c3 * self.start * self.start)
        layers: list[nn.Module] = []
        for inputs, outputs in ((c3, c3), (c3, c2), (c2, c1)):
            layers += [
                nn.ConvTranspose2d(inputs, outputs, 4, stride=2, padding=1),
                nn.GroupNorm(min(8, outputs), outputs),
                nn.GELU(),
            ]
        self.net = nn.Sequential(*layers, nn.Conv2d(c1, 3, 3, padding=1))
        self.width = c3

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        x = self.stem(embeddings).reshape(-1, self.width, self.start, self.start)
        return torch.sigmoid(self.net(x))


class ActionWorldModel(nn.Module):
    """Encoder, projector, action-conditioned predictor, and the frozen-embedding heads (probe, inverse dynamics)."""

    def __init__(self, config: ActionModelConfig):
        super().__init__()
        self.config = config
        self.encoder = FrameEncoder(config.encoder_config())
        flat, wide, dim = config.latent_dim * config.grid**2, config.projector_width, config.embedding_size
        if config.embedding == "grid":
            self.projector = nn.Sequential(nn.BatchNorm2d(config.latent_dim), nn.Flatten())
        else:  # BatchNorm1d last, as LeWorldModel found: a LayerNorm there would block the regularizer
            self.projector = nn.Sequential(
                nn.Flatten(), nn.Linear(flat, wide), nn.BatchNorm1d(wide), nn.GELU(), nn.Linear(wide, dim), nn.BatchNorm1d(dim)
            )
        self.predictor = ConvActionPredictor(config) if config.predictor == "conv" else ActionPredictor(config)
        if config.frozen_encoder:
            self.encoder.requires_grad_(False)
            self.projector.requires_grad_(False)
        self.decoder = PixelDecoder(config) if config.kind == "action_pixel" else None
        head = config.head_width
        self.probe = nn.Sequential(nn.Linear(dim, head), nn.GELU(), nn.Linear(head, config.probe_dim))
        self.inverse = nn.Sequential(
            nn.Linear(2 * dim, head), nn.GELU(), nn.Linear(head, head), nn.GELU(), nn.Linear(head, config.chunk_dim)
        )
        # Training only (`state_weight`): the state read linearly from the embedding, teaching the encoder to keep it.
        self.state_readout = nn.Linear(dim, config.probe_dim) if config.state_weight > 0 else None

    def train(self, mode: bool = True) -> ActionWorldModel:
        super().train(mode)
        if self.config.frozen_encoder:  # its normalisation too stays as it was, so training and planning embed alike
            self.encoder.eval()
            self.projector.eval()
        return self

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """(..., 3, S, S) pictures in [0, 1] -> (..., E) embeddings."""
        lead = frames.shape[:-3]
        latents = self.encoder(frames.reshape(-1, *frames.shape[-3:]))
        return self.projector(latents).reshape(*lead, -1)

    def rollout(self, history: torch.Tensor, actions: torch.Tensor, past_actions: torch.Tensor | None = None) -> torch.Tensor:
        """Open-loop prediction: (B, h, E) observed embeddings, (B, H, A) action chunks -> (B, H, E) predicted ones.

        `past_actions` (B, h - 1, A) are the chunks taken between the observed embeddings (none when h is 1).
        """
        window = self.config.history
        embeddings = history[:, -window:]
        chunks = past_actions[:, -(window - 1) :] if past_actions is not None and window > 1 else actions[:, :0]
        predicted = []
        for step in range(actions.shape[1]):
            chunks = torch.cat([chunks, actions[:, step : step + 1]], dim=1)[:, -embeddings.shape[1] :]
            following = self.predictor(embeddings, chunks)[:, -1:]
            predicted.append(following)
            embeddings = torch.cat([embeddings, following], dim=1)[:, -window:]
        return torch.cat(predicted, dim=1)

    def loss(
        self, frames: torch.Tensor, actions: torch.Tensor, states: torch.Tensor, goals: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss on (B, R+1, 3, S, S) pictures a model step apart, their (B, R, A) action chunks and
        (B, R+1, K) states, with (B, 3, S, S) later pictures of the same episodes (the inverse policy's goals).
        """
        config = self.config
        everything = self.encode(torch.cat([frames, goals[:, None]], dim=1))
        embeddings = everything[:, :-1]
        window = min(config.history, embeddings.shape[1] - 1)
        teacher = torch.stack(
            [
                self.predictor(embeddings[:, t + 1 - window : t + 1], actions[:, t + 1 - window : t + 1])[:, -1]
                for t in range(window - 1, actions.shape[1])
            ],
            dim=1,
        )
        teacher_loss = F.mse_loss(teacher, embeddings[:, window:])
        opened = self.rollout(embeddings[:, :window], actions[:, window - 1 :], actions[:, : window - 1])
        rollout_loss = F.mse_loss(opened, embeddings[:, window:])
        loss = teacher_loss + rollout_loss
        metrics = {"teacher_loss": teacher_loss.item(), "rollout_loss": rollout_loss.item()}
        flat = everything.reshape(-1, everything.shape[-1])
        if self.decoder is not None:
            pictures = torch.cat([frames, goals[:, None]], dim=1)
            reconstruction = F.mse_loss(self.decoder(flat), pictures.reshape(-1, *pictures.shape[-3:]))
            foresight = F.mse_loss(
                self.decoder(opened.reshape(-1, opened.shape[-1])), frames[:, window:].reshape(-1, *frames.shape[-3:])
            )
            # Pixel errors are small numbers on mostly flat pictures; weigh them up to the embeddings' scale.
            loss = loss + 100.0 * (reconstruction + foresight)
            metrics |= {"reconstruction_loss": reconstruction.item(), "foresight_loss": foresight.item()}
        elif not self.config.frozen_encoder:  # an encoder that does not learn cannot collapse
            loss = loss + self._regularizer(flat, metrics)
        targets = probe_targets(states, config.angle_symmetry)
        if self.state_readout is not None:
            readout = state_readout_loss(self.state_readout(embeddings), targets)
            loss = loss + config.state_weight * readout
            metrics["state_loss"] = readout.item()
        frozen = everything.detach()
        probe_loss = F.mse_loss(self.probe(frozen[:, :-1]), targets)
        inverse_loss = F.mse_loss(self.inverse(torch.cat([frozen[:, 0], frozen[:, -1]], dim=-1)), actions[:, 0])
        metrics |= {
            "probe_loss": probe_loss.item(),
            "inverse_loss": inverse_loss.item(),
            "embedding_std": flat.detach().std(dim=0).mean().item(),
        }
        return loss + probe_loss + inverse_loss, metrics

    @torch.no_grad()
    def surprise_channels(self, frames: torch.Tensor, actions: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, 3, S, S) pictures a model step apart and the (B, T - 1, A) action chunks taken between them ->
        (B, 1, T): each picture's prediction error from the pictures and actions before it (NaN for the first).

        The JEPA's error is the squared distance of embeddings; the pixel baseline's the mean squared error
        of the decoded prediction. Raises ValueError without actions: the outcome of an action is what it scores.
        """
        if actions is None:
            raise ValueError("an action-conditioned world model scores a clip with the actions taken in it")
        batch, steps = frames.shape[:2]
        embeddings = self.encode(frames)
        surprise = torch.full((batch, 1, steps), float("nan"))
        for k in range(1, steps):
            window = min(self.config.history, k)
            predicted = self.predictor(embeddings[:, k - window : k], actions[:, k - window : k])[:, -1]
            if self.decoder is None:
                surprise[:, 0, k] = (predicted - embeddings[:, k]).pow(2).sum(-1).float()
            else:
                surprise[:, 0, k] = (self.decoder(predicted) - frames[:, k]).pow(2).flatten(1).mean(1).float()
        return surprise

    def score_set(self, folder, rows: list[dict], videos: list) -> tuple[list, list[str]]:
        """Surprise curves of a stimulus set's clips under their actions (physlab.voe.surprise.evaluate calls it):
        each manifest row names its actions file in the `actions` column (physlab/control/surprise.py).
        Returns the curves and one error line per clip that could not be scored."""
        from physlab.control.surprise import score_clips

        return score_clips(self, folder, rows, videos)

    forward = loss  # so DistributedDataParallel, which wraps forward(), syncs the loss's gradients

    def _regularizer(self, flat: torch.Tensor, metrics: dict[str, float]) -> torch.Tensor:
        config = self.config
        if config.embedding == "grid":
            variance, covariance = grid_vicreg_terms(flat.reshape(len(flat), config.latent_dim, -1))
            metrics |= {"variance_loss": variance.item(), "covariance_loss": covariance.item()}
            return config.variance_weight * variance + config.covariance_weight * covariance
        if config.regularizer == "sigreg":
            term = sigreg(flat, config.sigreg_directions)
            metrics["sigreg_loss"] = term.item()
            return config.sigreg_weight * term
        variance, covariance = vicreg_terms(flat)
        metrics |= {"variance_loss": variance.item(), "covariance_loss": covariance.item()}
        return config.variance_weight * variance + config.covariance_weight * covariance


def grid_vicreg_terms(grid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """VICReg's variance and covariance terms for (N, C, cells) grids of embeddings, across pictures only.

    Pooling the cells as samples, as a single vector's terms would, lets a grid satisfy them with a pattern that
    varies over the cells and never over pictures (measured: the prediction loss fell to 1e-4 and the probe read
    nothing). So each (channel, cell) is centred over the pictures first; a channel's variance is the mean over
    cells of its variance across pictures (hinged at a standard deviation of 1, so a cell that is always floor may
    stay still while one where things move carries it); the covariance is between channels, over pictures and cells.
    """
    count, channels, cells = grid.shape
    centred = grid - grid.mean(dim=0, keepdim=True)
    spread = torch.sqrt(centred.pow(2).sum(dim=0).mean(dim=1) / max(count - 1, 1) + 1e-4)  # (C,)
    variance = F.relu(1.0 - spread).mean()
    pooled = centred.transpose(1, 2).reshape(-1, channels)
    cov = pooled.T @ pooled / max(count - 1, 1) / cells
    off_diagonal = cov - torch.diag(torch.diag(cov))
    return variance, off_diagonal.pow(2).sum() / channels


def sigreg(embeddings: torch.Tensor, directions: int = 256, knots: int = 17) -> torch.Tensor:
    """SIGReg (Balestriero and LeCun 2025): how far (N, E) embeddings are from an isotropic Gaussian.

    Along `directions` random unit directions, the Epps-Pulley statistic: the squared distance between the
    projections' empirical characteristic function and the standard normal's, weighted by a Gaussian
    window and integrated over t in [-3, 3] (trapezoids), times N. Averaged over directions.
    """
    count, dim = embeddings.shape
    axes = torch.randn(dim, directions, device=embeddings.device, dtype=embeddings.dtype)
    projected = embeddings @ (axes / axes.norm(dim=0, keepdim=True))  # (N, M)
    t = torch.linspace(-3.0, 3.0, knots, device=embeddings.device, dtype=embeddings.dtype)
    angles = projected[..., None] * t  # (N, M, K)
    real, imaginary = angles.cos().mean(0), angles.sin().mean(0)
    normal = torch.exp(-0.5 * t.pow(2))
    gap = ((real - normal).pow(2) + imaginary.pow(2)) * normal
    return torch.trapezoid(gap, t, dim=-1).mean() * count


def probe_targets(states: torch.Tensor, symmetry: int) -> torch.Tensor:
    """(..., K) states -> what the probe learns to read: positions as they are, a heading (the last number) as the
    cosine and sine of `symmetry` times it, so a box turned a quarter reads the same."""
    if not symmetry:
        return states
    angle = states[..., -1:] * symmetry
    return torch.cat([states[..., :-1], angle.cos(), angle.sin()], dim=-1)


def state_readout_loss(readout: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean squared error of a (..., P) readout of (..., P) targets, each number standardised by its spread over the
    batch (detached), so positions in metres and a heading's cosine and sine weigh alike: 1 is reading the mean."""
    flat_targets = targets.reshape(-1, targets.shape[-1])
    spread = flat_targets.std(dim=0).clamp(min=1e-3).detach()
    return ((readout.reshape(flat_targets.shape) - flat_targets) / spread).pow(2).mean()


def read_positions(readout: torch.Tensor, symmetry: int) -> torch.Tensor:
    """The probe's (..., probe_dim) readout -> (..., K) states, the heading recovered from its cosine and sine."""
    if not symmetry:
        return readout
    return torch.cat([readout[..., :-2], torch.atan2(readout[..., -1:], readout[..., -2:-1]) / symmetry], dim=-1)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def chunk_actions(actions: torch.Tensor, frame_skip: int) -> torch.Tensor:
    """(..., T * frame_skip, 2) env-step actions -> (..., T, frame_skip * 2) model-step chunks."""
    steps = actions.shape[-2] // frame_skip
    return actions[..., : steps * frame_skip, :].reshape(*actions.shape[:-2], steps, frame_skip * ACTION_DIM)
