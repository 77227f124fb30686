"""Model and training configuration: one validated record, with named presets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from physlab.errors import PhyslabError, describe_validation
from physlab.files import read_yaml_mapping

APPEARANCE_CHANNELS = 12  # a cell's mean colour (3) in each of its four quarters
MIN_CONTEXT = 2  # frames a prediction needs at least: one for position, one more for velocity
# Options of the JEPA alone, and why the pixel model has no use for each.
JEPA_ONLY = {
    "appearance_scale": "the pixel model predicts every colour already",
    "colour_levels": "the pixel model predicts every colour already",
    "input_standardise": "the pixel model predicts the frames themselves",
    "input_motion": "the pixel model predicts the frames themselves",
    "input_fold": "the pixel model decodes frames at the encoder's own size",
    "change_variance_weight": "the pixel model has no embeddings to keep motion in",
    "objectness_weight": "the pixel model has no latents to tell bodies from the room in",
    "hypotheses": "the pixel model decodes one picture of each frame",
}


class ModelConfig(BaseModel):
    """What the model is. Saved beside every checkpoint so a checkpoint rebuilds itself."""

    model_config = ConfigDict(extra="forbid")
    # Fields that change how a trained model is scored, not how it is trained: a run may resume with others.
    SCORING_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"surprise_horizon", "surprise_horizons", "surprise_energy", "channel_temperature", "min_context"}
    )

    kind: Literal["jepa", "pixel"] = "jepa"
    image_size: int = Field(64, ge=16, multiple_of=8, description="the encoder downsamples by latent_stride")
    # Pixels a latent cell spans a side. At 8 a 64 px frame gives an 8x8 grid and a ball (7-12 px across in
    # the training clips) is about one cell; 4 gives 16x16, a ball spans a few cells, at 4x the work of the
    # encoder's last stage and the predictor.
    latent_stride: Literal[4, 8] = 8
    # Pixels folded into channels a side before the encoder (space-to-depth): at 2, frames come in at
    # image_size (128) and the encoder works at half that with 12 channels in, so the latent grid, the
    # predictor and most of the encoder cost what they cost at 64 px, while the first convolution sees every
    # pixel: a ball 2-3 px across in a 128 px frame is not averaged into the floor first. A model trained
    # unfolded at image_size / 2 starts a folded one exactly where it was (`load_weights`).
    input_fold: Literal[1, 2] = 1
    # Each frame comes with its change from the frame before (6 channels in; zero change at a clip's first
    # frame): what moves is in view before the encoder learns anything, and a static room, its textures and
    # clutter are not in the change at all, whatever their look.
    input_motion: bool = False
    # Each clip's frames shifted and scaled, per colour channel, by the mean and spread of its first frame's
    # pixels (causal: the first frame is seen before any other): a dim room, a coloured light or another white
    # balance come in as they would in daylight.
    input_standardise: bool = False
    fps: float = Field(12.0, gt=0, description="frame rate the model sees; clips are resampled to it")
    latent_dim: int = Field(64, ge=4)
    channels: tuple[int, int, int] = (32, 64, 96)
    context: int = Field(12, ge=1, description="frames of context the predictor sees")
    horizon: int = Field(2, ge=1, description="frames ahead it is trained to predict")
    predictor_width: int = 128
    predictor_blocks: int = 4
    # Give every cell of the predictor each context frame's latents pooled over the whole view (max and
    # mean), so what an object looked like before it went behind a screen is at hand where it comes out.
    predictor_summary: bool = False
    # A fixed colour code beside the learned latents, in what the predictor sees and predicts: each cell's
    # mean colour in each quarter of it (12 numbers a cell), times this scale; 0 leaves it out. Predicting
    # possible events never needs an object's colour, so the learned latents throw it away (README: the
    # bundled encoder keeps 5% of a colour change); a code that cannot be trained away keeps it in view.
    # Measured (README): at 6-14 a changed colour is 1.1-3.4 frames of motion apart (physlab visibility),
    # yet constancy did not improve, because the predictor does not foresee the object coming back at all.
    appearance_scale: float = Field(0.0, ge=0.0)
    # A second channel of surprise (physlab/model/colour.py): each frame's colour histogram, soft bins of
    # this many levels per RGB channel (4: 64 colours), predicted by a small network from the context's
    # histograms; 0 leaves it out. Without positions, predicting it needs no foresight of where and when
    # a hidden object comes out, only of what it looks like, which the latents do not keep.
    colour_levels: int = Field(0, ge=0, le=8)
    colour_width: int = Field(512, ge=8, description="hidden width of the colour channel's predictor")
    # With several channels, each is scored against its own peaks on possible training clips (the log of
    # a clip's peak, centred and scaled, set when a checkpoint is written), and a clip's peak surprise is a
    # soft maximum of its channels' peaks at this temperature: mostly the stronger channel's, so a
    # surprising colour is not drowned by motion the latents found hard, and the other breaks near-ties.
    channel_temperature: float = Field(0.5, gt=0.0)
    target: Literal["ema", "online"] = "ema"
    regularizer: Literal["vicreg", "none"] = "vicreg"
    ema_momentum: float = Field(0.996, ge=0.0, le=1.0)
    expander_dim: int = 256
    variance_weight: float = 1.0
    covariance_weight: float = 0.04
    # Training only: weight of the variance hinge on how the embeddings of cells where the picture changed change
    # from frame to frame (physlab/model/jepa.py's change_variance), so the encoder keeps what moves. 0: off.
    change_variance_weight: float = Field(0.0, ge=0.0)
    # Training only: weight of a linear head's cross-entropy that tells, from each cell's latent, how much of the cell
    # shows a body (from the renderer's masks; physlab/train/objects.py), so figure stays apart from ground on any
    # look. 0: off (and the model has no head).
    objectness_weight: float = Field(0.0, ge=0.0)
    # A latent variable for what the context cannot settle (a latent-variable energy-based model, LeCun 2022;
    # multiple-choice learning, Guzman-Rivera et al. 2012, with the relaxed winner-takes-all of Rupprecht et al.
    # 2017): the predictor makes this many predictions of each frame, training moves the nearest one (the others by
    # a twentieth), and a frame's energy is the nearest one's. When a hidden ball comes out, or where a struck one
    # goes, has a prediction of its own instead of a blur of all of them, which is nearer to nothing happening
    # than to any of them. 1: one prediction, as before.
    hypotheses: int = Field(1, ge=1, le=16)
    spatial_pool: Literal["max", "mean"] = "max"
    # Training only: the fraction of context windows in which a block of cells around a moving thing is
    # hidden for the last frames, so the predictor has to carry an object (what it looks like, too)
    # through an occlusion. Measured with the summary (README): it did not make a changed colour surprising.
    context_masking: float = Field(0.0, ge=0.0, le=1.0)
    # Predict a variance with each latent and score by negative log-likelihood, so events that
    # are hard to foresee in any world (a launch, an emergence) weigh less than broken rules.
    predict_variance: bool = True
    # Training weight sg(variance)**beta on each cell's NLL (beta-NLL, Seitzer et al. 2022). With plain NLL
    # (beta 0) a cell the model finds hard gets a large variance, which shrinks the gradient on its mean:
    # the model stops learning exactly the moving objects. Beta 1 gives the mean the gradient of squared error.
    nll_beta: float = Field(0.0, ge=0.0, le=1.0)
    # Score frame t by the prediction made this many frames ahead (1: the next frame). Predictions
    # from further back keep expecting what should happen (the fall, the reappearance) instead of
    # re-anchoring on the frames in which the violation has already begun.
    surprise_horizon: int = Field(1, ge=1)
    # How the predictions made 1..surprise_horizon frames before a frame combine into its surprise:
    # only the farthest one's, or the largest (the most confident expectation the frame broke), or their mean.
    surprise_horizons: Literal["farthest", "max", "mean"] = "farthest"
    # What a frame's surprise measures in each latent cell: the Gaussian NLL under the predicted variance,
    # or the plain squared error. With beta-NLL the variance serves training; scoring by it again lets a
    # cell the model finds hard to foresee (an emergence, a launch) damp a broken rule in that very cell.
    surprise_energy: Literal["nll", "squared_error"] = "nll"
    # Seconds of real frames a prediction needs before it is scored (V-JEPA's evaluation predicts from real context
    # only). Predictions from the first frames of a clip, with almost nothing to go on, err most: scored, their
    # error would be the clip's peak, the same for both twins of a pair. Frames before it are not scored (NaN).
    min_context: float = Field(0.0, ge=0.0, description="seconds of real context before a frame is scored")

    @model_validator(mode="after")
    def _horizon(self) -> ModelConfig:
        if self.surprise_horizon > self.horizon:
            raise ValueError(
                f"surprise_horizon {self.surprise_horizon} needs a predictor horizon at least as long (horizon {self.horizon})"
            )
        if self.kind != "jepa":
            for name, why in JEPA_ONLY.items():
                if getattr(self, name) != type(self).model_fields[name].default:
                    raise ValueError(f"{name} is for the JEPA; {why}")
        if self.image_size % self.cell_pixels:
            raise ValueError(f"image_size {self.image_size} must be a multiple of a cell's {self.cell_pixels} pixels")
        if self.change_variance_weight > 0 and self.regularizer != "vicreg":
            raise ValueError("change_variance_weight is a VICReg term on the expander; it needs regularizer: vicreg")
        if self.colour_levels == 1:
            raise ValueError("colour_levels must be 0 (no colour channel) or at least 2")
        return self

    def trains_like(self, other: ModelConfig) -> bool:
        """Whether the two configs train the same model (they may differ in how it is scored)."""
        return self.model_dump(exclude=self.SCORING_FIELDS) == other.model_dump(exclude=self.SCORING_FIELDS)

    @property
    def appearance_dim(self) -> int:
        """Numbers of the fixed colour code per cell (0 without it)."""
        return APPEARANCE_CHANNELS if self.appearance_scale > 0 else 0

    @property
    def predicted_dim(self) -> int:
        """Numbers per cell the predictor sees and predicts: the latents and the colour code."""
        return self.latent_dim + self.appearance_dim

    @property
    def channel_names(self) -> tuple[str, ...]:
        """The channels of surprise the model scores: the latents (or pixels), and colour when it has that."""
        first = "pixels" if self.kind == "pixel" else "latents"
        return (first, "colour") if self.colour_levels else (first,)

    @property
    def latent_grid(self) -> int:
        """Cells a side of the encoder's latent grid."""
        return self.image_size // self.cell_pixels

    @property
    def cell_pixels(self) -> int:
        """Pixels of the input frame a latent cell spans, a side."""
        return self.latent_stride * self.input_fold

    @property
    def context_needed(self) -> int:
        """Frames of real context a scored prediction has at least: min_context in frames, and MIN_CONTEXT."""
        return min(self.context, max(MIN_CONTEXT, math.ceil(self.min_context * self.fps - 1e-6)))

    @property
    def first_scored_frame(self) -> int:
        """The first frame a scored prediction reaches: after context_needed frames, plus the horizon when only the
        farthest counts."""
        return self.context_needed + (self.surprise_horizon - 1 if self.surprise_horizons == "farthest" else 0)


class TrainConfig(BaseModel):
    """How it is trained."""

    model_config = ConfigDict(extra="forbid")

    model: ModelConfig = ModelConfig()
    steps: int = Field(4000, ge=1)
    batch_size: int = Field(8, ge=1, description="clips per step (per process)")
    targets_per_clip: int = Field(16, ge=0, description="frames predicted in each clip per step (0: all)")
    learning_rate: float = Field(1e-3, gt=0)
    weight_decay: float = 0.05
    warmup_steps: int = 200
    seed: int = 0
    checkpoint_every: int = Field(250, ge=1)
    snapshot_every: int = Field(0, ge=0, description="keep a copy of the weights every N steps (0: never)")
    threads: int = Field(0, ge=0, description="torch threads per process (0: all cores / processes)")
    init: str | None = Field(None, description="start from this model's weights (a model file or bundled name)")
    reappearance_weight: float = Field(
        1.0, ge=1.0, description="weight of the cells where a hidden object comes back, in the loss (renderer masks)"
    )
    motion_weight: float = Field(
        1.0,
        ge=1.0,
        description="weight of the cells that change from the frame before, in the loss (physlab/train/moving.py): "
        "the loss is about foreseeing motion more than copying a still room",
    )
    augment: bool | Literal["film"] = Field(
        False,
        description="give each clip another palette, exposure and zoom (physlab/train/augment.py); "
        "'film' adds another camera's light, white balance, blur and grain",
    )
    cross_view: bool = Field(
        False,
        description="encode the targets from the same clips filmed another way (physlab/train/augment.py's "
        "restyle_clips: palette and light, not framing), so the latents keep what both looks share",
    )
    # "colour" trains only the colour channel's predictor of a model `init` gives, which stays as it was
    # (its EMA target too): a trained JEPA gets the channel in minutes, and scores its latents as before.
    parts: Literal["all", "colour"] = "all"

    @model_validator(mode="after")
    def _parts(self) -> TrainConfig:
        if self.parts == "colour" and not self.model.colour_levels:
            raise ValueError("parts: colour trains the colour channel; the model needs colour_levels (4, say)")
        if self.parts == "colour" and self.init is None:
            raise ValueError("parts: colour keeps the rest of the model as it is; give a trained one with init (--init)")
        if self.cross_view and self.model.kind != "jepa":
            raise ValueError("cross_view encodes a JEPA's targets from another look; the model is not a JEPA")
        return self


# The bundled JEPA's model (preset "default"): see the comment there.
DEFAULT_MODEL = {
    "horizon": 6,
    "nll_beta": 1.0,
    "surprise_horizon": 5,
    "surprise_horizons": "mean",
    "surprise_energy": "squared_error",
}

PRESETS: dict[str, dict] = {
    # The bundled default: 48 minutes on the 2-core CPU. It predicts half a second ahead (6 frames),
    # so that copying the last frame is a bad guess and the model has to learn how things move, with
    # beta-NLL so that the hard cells (the moving objects) keep their gradient; a frame's surprise is
    # taken from predictions made several frames before it, which still expect what should have happened,
    # and measured as their squared error (chosen on the validation pairs: 0.962, against 0.924 by the NLL).
    "default": {
        "steps": 3600,
        "snapshot_every": 600,
        "model": DEFAULT_MODEL,
    },
    # The colour channel for a model trained with "default" (give it with --init): only the colour
    # predictor trains, on 16 clips a step, which needs no encoder pass; the rest stays as it was.
    "colour": {
        "steps": 3000,
        "batch_size": 16,
        "warmup_steps": 100,
        "checkpoint_every": 1000,
        "parts": "colour",
        "model": {**DEFAULT_MODEL, "colour_levels": 4},
    },
    # Decoding full frames is the baseline's expensive part, so it decodes 4 frames per clip a step
    # (0.65 s a step here, the JEPA's is 0.69 s) for 2400 steps: about two thirds of the JEPA's CPU
    # time, on the same data.
    "pixel": {"steps": 2400, "targets_per_clip": 4, "snapshot_every": 600, "model": {"kind": "pixel"}},
    # Minutes: a smaller network for experiments that train from scratch (development).
    "small": {
        "steps": 1200,
        "batch_size": 8,
        "targets_per_clip": 8,
        "warmup_steps": 100,
        "checkpoint_every": 200,
        "model": {
            "latent_dim": 32,
            "channels": [16, 32, 48],
            "context": 8,
            "predictor_width": 64,
            "predictor_blocks": 2,
            "expander_dim": 128,
        },
    },
    # Seconds, for tests and CI.
    "tiny": {
        "steps": 20,
        "batch_size": 4,
        "targets_per_clip": 4,
        "warmup_steps": 2,
        "checkpoint_every": 10,
        "model": {
            "image_size": 32,
            "latent_dim": 16,
            "channels": [8, 16, 16],
            "context": 4,
            "predictor_width": 32,
            "predictor_blocks": 1,
            "expander_dim": 32,
        },
    },
}


def load_train_config(path: str | Path | None = None, preset: str | None = None, overrides: dict | None = None) -> TrainConfig:
    """A preset, a YAML file, or a preset overridden by a file; then `overrides` (the command line's)."""
    data: dict = {}
    if preset is not None:
        if preset not in PRESETS:
            raise PhyslabError(f"unknown preset {preset!r}; presets: {', '.join(PRESETS)}")
        data = merge_config(data, PRESETS[preset])
    if path is not None:
        data = merge_config(data, read_yaml_mapping(path, "a training config", empty_ok=True))
    data = merge_config(data, overrides or {})
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as err:
        raise PhyslabError(f"{path or preset}: {describe_validation(err)}") from None


def merge_config(base: dict, override: dict) -> dict:
    """`override` on top of `base`, nested mappings merged key by key."""
    merged = dict(base)
    for key, value in override.items():
        merged[key] = merge_config(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged
