"""Training a world model on possible events: one loop that reads like a recipe.

`physlab train --data DIR --out RUN` on one process, or under
`torchrun --nproc_per_node=2 -m physlab train ...` with DistributedDataParallel (gloo on
CPU, NCCL on GPU). A run folder holds `model.safetensors` (+ `.json`), `state.safetensors`
(optimizer, step and config, for resuming), `config.json` (the config, where it came from and
the data), `metrics.csv` and optional `snapshots/`; so `physlab train --out RUN --resume`
needs nothing else (`read_run`).
"""

from __future__ import annotations

import datetime
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from physlab.data.shards import read_shard, shard_files
from physlab.data.video import frames_at_times
from physlab.errors import PhyslabError
from physlab.files import atomic_path, write_json
from physlab.model import TrainConfig, WorldModel, build_model, save_model
from physlab.model.checkpoint import load_weights
from physlab.model.networks import MIN_CONTEXT, as_pictures
from physlab.progress import progress_bar
from physlab.train.augment import augment_clips, restyle_clips
from physlab.train.metrics_log import append_metrics, truncate_metrics
from physlab.train.moving import moving_cells
from physlab.train.objects import object_cover
from physlab.train.reappearance import reappearing_cells

METRIC_COLUMNS = [
    "step",
    "loss",
    "prediction_loss",
    "variance_loss",
    "covariance_loss",
    "change_variance_loss",
    "objectness_loss",
    "latent_std",
    "colour_loss",
    "learning_rate",
    "clips_per_second",
    "collapse_warning",
]
COLLAPSE_STD = 0.05
# A checkpoint at least this often (as well as every `checkpoint_every` steps), so a kill loses at most
# about a minute of work however slow a step is. Writing one takes 0.04 s at the bundled size; a model
# with the colour channel is calibrated first (7.6 s on 2 cores), so the interval stretches to keep
# checkpoints under a tenth of the time.
CHECKPOINT_SECONDS = 60.0
CHECKPOINT_SHARE = 0.1
CALIBRATION_CLIPS = 128  # possible clips that set a multi-channel model's scale at each checkpoint
# Purposes of the random streams besides the batch's (`_stream`); the numbers are part of what a run drew.
MASKING, VIEWS, CALIBRATION = 1, 2, 7


@dataclass
class Clips:
    """Training clips in memory: (N, T, H, W, 3) uint8 at the model's size and frame rate."""

    frames: torch.Tensor
    reappearing: torch.Tensor | None = None  # (N, T, g, g) bool, where a hidden object comes back (physlab/train/reappearance.py)
    objects: torch.Tensor | None = None  # (N, T, g, g) float16, the share of each cell showing a body (physlab/train/objects.py)

    @property
    def count(self) -> int:
        return self.frames.shape[0]


TrainingData = str | Path | Sequence[str | Path]  # one training folder, or several whose clips train together


def data_folders(data: TrainingData) -> list[Path]:
    """The training folders `data` names: one folder, or a sequence of them (the same folder twice counts once).

    Raises PhyslabError when the sequence is empty.
    """
    folders = [Path(data)] if isinstance(data, (str, Path)) else [Path(folder) for folder in data]
    if not folders:
        raise PhyslabError("train: no training folder given")
    return list(dict.fromkeys(folders))


def load_clips(
    data: TrainingData,
    image_size: int,
    fps: float,
    reappearance_grid: int | None = None,
    progress: bool = True,
    objects_grid: int | None = None,
) -> Clips:
    """Every clip of a training folder (or of several, one after another), resampled by time to the model's `fps`
    and resized once, kept as uint8.

    Each clip keeps the frame on screen at each model time (`frames_at_times`, from the clip's own
    `fps` and `frames` in its meta), so clips of any frame rate that share a duration become the
    same number of model frames; clips of different durations are all cut to the shortest.
    `reappearance_grid`: also where hidden objects come back into view (from the masks, resampled alike),
    on a grid this many cells a side. `objects_grid`: also how much of each cell shows a body, likewise.
    """
    parts, maps, covers = [], [], []
    folders = data_folders(data)
    shards = [path for folder in folders for path in shard_files(folder)]
    for path in progress_bar(shards, desc="loading shards", unit="shard", leave=False, disable=not progress):
        shard = read_shard(path)
        picks = [
            frames_at_times(np.arange(count) / rate, count / rate, fps)
            for count, rate in ((meta.get("frames", shard.frames.shape[1]), meta["fps"]) for meta in shard.meta)
        ]
        steps = min(len(pick) for pick in picks)
        rows, index = np.arange(len(picks))[:, None], np.stack([pick[:steps] for pick in picks])
        frames = torch.from_numpy(shard.frames[rows, index])
        if frames.shape[2] != image_size:
            n, t = frames.shape[:2]
            resized = F.interpolate(frames.flatten(0, 1).permute(0, 3, 1, 2).float(), size=image_size, mode="area")
            frames = resized.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).reshape(n, t, image_size, image_size, 3)
        parts.append(frames)
        if reappearance_grid:
            maps.append(reappearing_cells(shard.masks[rows, index], reappearance_grid))
        if objects_grid:
            covers.append(object_cover(shard.masks[rows, index], objects_grid))
    if not parts:
        raise PhyslabError(f"{', '.join(map(str, folders))}: the manifests list no shards")
    steps = min(part.shape[1] for part in parts)

    def joined(tensors: list[torch.Tensor]) -> torch.Tensor | None:
        return torch.cat([tensor[:, :steps] for tensor in tensors]) if tensors else None

    return Clips(joined(parts), joined(maps), joined(covers))


class Batch(NamedTuple):
    """A training batch: whole clips (B, T, 3, H, W) in [0, 1] on the device, the frames (B, n) to predict in each
    (on the CPU), and, when the clips know them, where hidden objects come back (B, T, g, g) and how much of each
    cell shows a body (B, T, g, g), both float on the device."""

    frames: torch.Tensor
    chosen: torch.Tensor
    reappearing: torch.Tensor | None
    objects: torch.Tensor | None


def sample_batch(
    clips: Clips,
    batch_size: int,
    targets_per_clip: int,
    seed: int,
    step: int,
    rank: int,
    augment: bool | str = False,
    device: torch.device | str = "cpu",
) -> Batch:
    """A batch of whole clips, the frames to predict in each, and the clips' maps where they have them (`Batch`).

    Targets start at the second frame a prediction can be made for, so the model learns the
    short, zero-padded contexts that scoring uses at the start of a clip. `augment` films each
    clip differently (physlab/train/augment.py; "film" also changes its light, lens and grain).
    A pure function of (seed, step, rank), so a resumed run sees the same data. Frames and maps
    are on `device`; the frame indices stay on the CPU.
    """
    rng = _stream(seed, step, rank)
    steps = clips.frames.shape[1]
    if steps <= MIN_CONTEXT:
        raise PhyslabError(f"clips have {steps} frames at the model's rate; the model needs at least {MIN_CONTEXT + 1}")
    index = torch.from_numpy(rng.integers(0, clips.count, batch_size))
    count = min(targets_per_clip or steps, steps - MIN_CONTEXT)
    chosen = np.stack([np.sort(rng.choice(np.arange(MIN_CONTEXT, steps), count, replace=False)) for _ in range(batch_size)])
    frames = clips.frames[index].to(device)  # (B, T, H, W, 3), uint8 until it is on the device
    # The maps travel as one (B, T, k, g, g) stack, so a mirror or a crop moves them all with their clip.
    known = {name: kind for name, kind in (("reappearing", clips.reappearing), ("objects", clips.objects)) if kind is not None}
    maps = torch.stack([kind[index].to(device).float() for kind in known.values()], dim=2) if known else None
    if rng.random() < 0.5:  # mirrored worlds obey the same physics; it doubles the data for free
        frames = frames.flip(3)
        maps = maps.flip(4) if maps is not None else None
    frames = as_pictures(frames)
    if augment:
        frames, maps = augment_clips(frames, rng, maps=maps, film=augment == "film")
    unstacked = dict(zip(known, maps.unbind(2))) if maps is not None else {}
    return Batch(frames, torch.from_numpy(chosen), unstacked.get("reappearing"), unstacked.get("objects"))


def _stream(seed: int, step: int, rank: int, purpose: int | None = None) -> np.random.Generator:
    """The random stream of one purpose at one step: a function of (seed, step, rank), so a resumed run draws
    what it drew before, and each purpose draws apart, so a new draw of one shifts no other's. The batch's
    stream has no purpose (it was the first)."""
    return np.random.default_rng([seed, step, rank] + ([] if purpose is None else [purpose]))


def _masking_generator(seed: int, step: int, rank: int) -> torch.Generator:
    """The draws of hidden context blocks at a step: like the batch, a function of (seed, step, rank)."""
    return torch.Generator().manual_seed(int(_stream(seed, step, rank, MASKING).integers(2**62)))


def learning_rate(config: TrainConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to a tenth."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


@dataclass(frozen=True)
class RunRecord:
    """What a run folder knows about itself, so that resuming it needs only the folder."""

    config: TrainConfig
    data: str | list[str] | None  # the training folder (or folders) it was started on
    step: int  # steps done at its last checkpoint (0 when it was stopped before the first)
    source: str | None  # where the config came from: "preset default", a config file


def read_run(out: str | Path) -> RunRecord:
    """The config, data and step of the run in `out`: the checkpoint's config when there is one (what the
    weights were trained with), else the one `config.json` recorded when the run started.

    Raises PhyslabError when `out` holds no run.
    """
    out = Path(out)
    state, record = out / "state.safetensors", out / "config.json"
    if not record.exists() and not state.exists():
        raise PhyslabError(f"{out}: holds no training run to resume (no config.json or state.safetensors)")
    started = json.loads(record.read_text()) if record.exists() else {}
    step, config = 0, None
    if state.exists():
        with safe_open(str(state), framework="pt") as handle:
            metadata = handle.metadata()
        step, config = int(metadata["step"]), TrainConfig.model_validate_json(metadata["config"])
    if config is None:
        config = TrainConfig.model_validate(started["train"])
    return RunRecord(config, started.get("data"), step, started.get("source"))


def train(
    data: TrainingData,
    out: str | Path,
    config: TrainConfig,
    *,
    resume: bool = False,
    progress: bool = True,
    device: str = "auto",
    source: str | None = None,
    checkpoint_seconds: float = CHECKPOINT_SECONDS,
) -> Path:
    """Train on the clips in `data` (a training folder, or several trained on together), writing checkpoints to
    `out`; returns the model file.

    `device`: "auto" (a GPU when there is one), "cpu", or "cuda". A run may resume on another device.
    `source` (a preset's or config file's name) is recorded in `config.json`, for people and for resuming.
    A checkpoint is written every `config.checkpoint_every` steps and whenever `checkpoint_seconds` have
    passed since the last one (or ten times what the last one took, if more); resuming from either is
    bit-exact. A resumed run that has done its `config.steps` returns at once.
    """
    out = Path(out)
    rank, world = _distributed()
    where = training_device(device)
    torch.set_num_threads(config.threads or max(1, (os.cpu_count() or 1) // world))
    state_path = out / "state.safetensors"
    if state_path.exists() and not resume:
        raise PhyslabError(f"{out}: holds a training run already; pass --resume to continue it, or pick a new folder")
    # On the device before the optimizer exists, so its state is made (and restored) there too.
    model = build_model(config.model, seed=config.seed).to(where)
    if config.parts == "colour":
        model.requires_grad_(False)
        model.colour.requires_grad_(True)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    resuming = resume and state_path.exists()
    if config.init and not resuming:
        new_parts = load_weights(model, config.init)
        if rank == 0 and progress:
            tqdm.write(f"starting from {config.init}" + (f"; new: {', '.join(new_parts)}" if new_parts else ""))
    start = _restore(state_path, model, optimizer, config) if resuming else 0
    if start >= config.steps:  # finished already: nothing to load or write
        return out / "model.safetensors"
    weighs_reappearance = config.reappearance_weight > 1.0
    # Training the colour channel alone encodes nothing: no embedding for the variance on what moves or the objectness.
    wants_change_variance = config.model.change_variance_weight > 0 and config.parts == "all"
    wants_objectness = config.model.objectness_weight > 0 and config.parts == "all"
    clips = load_clips(
        data,
        config.model.image_size,
        config.model.fps,
        config.model.latent_grid if weighs_reappearance else None,
        progress=progress and rank == 0,
        objects_grid=config.model.latent_grid if wants_objectness else None,
    )
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        recorded = json.loads((out / "config.json").read_text()) if resuming and (out / "config.json").exists() else {}
        write_json(
            out / "config.json",
            {
                "train": config.model_dump(),
                "source": source or recorded.get("source"),
                "data": _recorded_data(data),
                "clips": clips.count,
                "processes": world,
            },
        )
        truncate_metrics(out / "metrics.csv", start, METRIC_COLUMNS)
    engine = (
        torch.nn.parallel.DistributedDataParallel(model, device_ids=[where] if where.type == "cuda" else None)
        if world > 1
        else model
    )
    bar = progress_bar(total=config.steps, initial=start, desc="training", unit="step", disable=not progress or rank != 0)
    started, elapsed_before = time.perf_counter(), _elapsed(out)
    last_log = last_checkpoint = time.perf_counter()
    interval = checkpoint_seconds
    for step in range(start, config.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, step)
        frames, chosen, reappearing, objects = sample_batch(
            clips, config.batch_size, config.targets_per_clip, config.seed, step, rank, config.augment, where
        )
        weights = 1.0 + (config.reappearance_weight - 1.0) * reappearing if reappearing is not None else None
        moving = moving_cells(frames, config.model.latent_grid) if config.motion_weight > 1.0 or wants_change_variance else None
        if config.motion_weight > 1.0:
            weighed = 1.0 + (config.motion_weight - 1.0) * moving
            weights = weighed if weights is None else weights * weighed
        # Only a JEPA has parts to train alone (its colour channel), targets from another look and a variance on
        # what moves; the pixel baseline's loss takes none of them.
        options = {"parts": config.parts} if config.parts != "all" else {}
        if wants_change_variance:
            options["moving"] = moving
        if wants_objectness:
            options["objects"] = objects
        if config.cross_view:  # either look may be the context: the encoder meets both
            views = _stream(config.seed, step, rank, VIEWS)
            other = restyle_clips(frames, views)
            frames, options["target_frames"] = (other, frames) if views.random() < 0.5 else (frames, other)
        loss, metrics = engine(frames, chosen, _masking_generator(config.seed, step, rank), weights, **options)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if config.parts == "all":
            model.update_target()
        now = time.perf_counter()
        metrics |= {
            "step": step + 1,
            "loss": loss.item(),
            "learning_rate": learning_rate(config, step),
            "clips_per_second": config.batch_size * world / max(now - last_log, 1e-9),
            "collapse_warning": int(metrics.get("latent_std", 1.0) < COLLAPSE_STD),
        }
        last_log = now
        bar.update(1)
        if rank != 0:
            continue
        append_metrics(out / "metrics.csv", metrics, METRIC_COLUMNS)
        if metrics["collapse_warning"] and (step + 1) % 50 == 0:
            tqdm.write(f"warning: latents are collapsing (per-dimension std {metrics['latent_std']:.4f} < {COLLAPSE_STD})")
        postfix = {"loss": f"{metrics['loss']:.4f}"}
        if "latent_std" in metrics:  # training only the colour channel encodes nothing
            postfix["std"] = f"{metrics['latent_std']:.3f}"
        bar.set_postfix(postfix, refresh=False)  # shown at the bar's next redraw: a log gets no line a step
        done = step + 1
        checkpoint = done % config.checkpoint_every == 0 or done == config.steps or now - last_checkpoint >= interval
        snapshot = bool(config.snapshot_every) and done % config.snapshot_every == 0
        if (checkpoint or snapshot) and len(config.model.channel_names) > 1:
            calibrate(model, clips, config.seed, where)
        if checkpoint:
            seconds = elapsed_before + time.perf_counter() - started
            _checkpoint(
                out,
                model,
                optimizer,
                config,
                done,
                {
                    "clips_seen": done * config.batch_size * world,
                    "train_seconds": round(seconds, 1),
                    "training_clips": clips.count,
                },
            )
            last_checkpoint = time.perf_counter()
            interval = max(checkpoint_seconds, (last_checkpoint - now) / CHECKPOINT_SHARE)
        if snapshot:
            save_model(
                out / "snapshots" / f"step_{done:07d}.safetensors",
                model,
                {"step": done, "clips_seen": done * config.batch_size * world},
            )
    bar.close()
    if world > 1:
        dist.barrier()
    return out / "model.safetensors"


def _recorded_data(data: TrainingData) -> str | list[str]:
    """What config.json says the run trains on: one folder's absolute path, or a list of them."""
    folders = [str(folder.resolve()) for folder in data_folders(data)]
    return folders[0] if len(folders) == 1 else folders


def calibrate(
    model: WorldModel, clips: Clips, seed: int, device: torch.device | str = "cpu", count: int = CALIBRATION_CLIPS
) -> None:
    """Set the scale of each channel of surprise from the same `count` training clips (possible events) every time."""
    chosen = np.sort(np.random.default_rng([seed, CALIBRATION]).choice(clips.count, min(count, clips.count), replace=False))
    batches = (
        as_pictures(clips.frames[torch.from_numpy(chosen[start : start + 16])].to(device)) for start in range(0, len(chosen), 16)
    )
    model.calibrate(batches)


def training_device(name: str = "auto") -> torch.device:
    """The device a process trains on: "auto" picks the GPU when there is one; under torchrun each
    process takes the GPU of its local rank."""
    if name not in ("auto", "cpu", "cuda"):
        raise PhyslabError(f"unknown device {name!r}; devices: auto, cpu, cuda")
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise PhyslabError("--device cuda: torch sees no GPU on this machine")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))


def _distributed() -> tuple[int, int]:
    """(rank, world size); joins the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=120))
    return dist.get_rank(), world


def _checkpoint(
    out: Path, model: WorldModel, optimizer: torch.optim.Optimizer, config: TrainConfig, step: int, info: dict
) -> None:
    """Model first, then the resumable state that points at it: a kill between the two loses nothing."""
    save_model(out / "model.safetensors", model, {"step": step, **info})
    tensors = {}
    optimizer_state = optimizer.state_dict()
    for index, values in optimizer_state["state"].items():
        for key, value in values.items():
            tensors[f"optimizer.{index}.{key}"] = value.detach().to("cpu", copy=True).contiguous()
    for name, value in model.state_dict().items():
        tensors[f"model.{name}"] = value.detach().to("cpu", copy=True).contiguous()
    groups = optimizer_state["param_groups"]
    metadata = {
        "step": str(step),
        "param_groups": json.dumps(groups),
        "config": config.model_dump_json(),
        "seconds": str(info["train_seconds"]),
    }
    with atomic_path(out / "state.safetensors") as temp:
        save_file(tensors, str(temp), metadata=metadata)


def _restore(path: Path, model: WorldModel, optimizer: torch.optim.Optimizer, config: TrainConfig) -> int:
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    recorded = TrainConfig.model_validate_json(metadata["config"])
    if not recorded.model.trains_like(config.model):
        raise PhyslabError(f"{path}: was trained with another model config; resume with the same config")
    tensors = load_file(str(path))
    model.load_state_dict({k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")})
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": json.loads(metadata["param_groups"])})
    return int(metadata["step"])


def _elapsed(out: Path) -> float:
    path = out / "state.safetensors"
    if not path.exists():
        return 0.0
    with safe_open(str(path), framework="pt") as handle:
        return float(handle.metadata().get("seconds", 0.0))
