"""Training an action-conditioned world model on offline episodes: one loop that reads like a recipe.

`physlab train --data EPISODES --out RUN` (the data folder says it holds actions, and which world), on one
process or under `torchrun` with DistributedDataParallel, as the watching models train
(`physlab.train.loop`: its device choice and learning-rate schedule are reused). A run folder holds
`model.safetensors` (+ `.json`), `state.safetensors` (optimizer and step, for `--resume`), `metrics.csv`
and `config.json`.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from physlab.control.checkpoint import save_action_model
from physlab.control.data import Episodes, data_world, load_episodes
from physlab.control.landmarks import build_landmarks, landmarks_file
from physlab.control.model import ActionModelConfig, ActionWorldModel, chunk_actions
from physlab.control.spec import Push, TwoRooms
from physlab.errors import PhyslabError, describe_validation
from physlab.files import atomic_path, read_yaml_mapping, write_json
from physlab.model.config import merge_config
from physlab.model.networks import as_pictures
from physlab.progress import progress_bar
from physlab.train.loop import learning_rate, training_device
from physlab.train.metrics_log import append_metrics, truncate_metrics

METRIC_COLUMNS = [
    "step",
    "loss",
    "teacher_loss",
    "rollout_loss",
    "variance_loss",
    "covariance_loss",
    "sigreg_loss",
    "reconstruction_loss",
    "foresight_loss",
    "probe_loss",
    "state_loss",
    "inverse_loss",
    "embedding_std",
    "learning_rate",
    "episodes_per_second",
]


class ActionTrainConfig(BaseModel):
    """How an action-conditioned model is trained (the model's fields under `model`)."""

    model_config = ConfigDict(extra="forbid")

    model: dict = Field(default_factory=dict, description="fields of ActionModelConfig; the world's are filled in")
    steps: int = Field(3000, ge=1)
    batch_size: int = Field(32, ge=1, description="sequences per step (per process)")
    learning_rate: float = Field(1e-3, gt=0)
    weight_decay: float = 0.01
    warmup_steps: int = 200
    seed: int = 0
    checkpoint_every: int = Field(250, ge=1)
    threads: int = Field(0, ge=0, description="torch threads per process (0: all cores / processes)")


ACTION_PRESETS: dict[str, dict] = {
    # The bundled models' recipes (docs/planning.md has their CPU time).
    "plan_two_rooms": {"steps": 3000, "model": {}},
    # The push worlds' predictor sees the last three model steps, as LeWorldModel's does: a pushed box's motion
    # and turn are not in one picture (docs/planning.md, "History").
    "plan_push": {"steps": 6000, "model": {"history": 3}},
    "plan_push_t": {"steps": 6000, "model": {"history": 3}},
    "plan_pixel": {"steps": 2000, "model": {"kind": "action_pixel"}},
    # Seconds, for tests.
    "plan_tiny": {
        "steps": 12,
        "batch_size": 4,
        "warmup_steps": 2,
        "checkpoint_every": 6,
        "model": {
            "latent_dim": 4,
            "channels": [4, 8, 8],
            "projector_width": 32,
            "embed_dim": 8,
            "predictor_width": 16,
            "predictor_heads": 2,
            "predictor_depth": 1,
            "rollout": 2,
            "head_width": 16,
            "sigreg_directions": 8,
        },
    },
}


def load_action_train_config(
    path: str | Path | None = None, preset: str | None = None, overrides: dict | None = None
) -> ActionTrainConfig:
    """A preset (default `plan_<world>` is chosen by the caller), a YAML file over it, then `overrides`."""
    data: dict = {}
    if preset is not None:
        if preset not in ACTION_PRESETS:
            raise PhyslabError(f"unknown preset {preset!r} for data with actions; presets: {', '.join(ACTION_PRESETS)}")
        data = merge_config(data, ACTION_PRESETS[preset])
    if path is not None:
        data = merge_config(data, read_yaml_mapping(path, "a training config", empty_ok=True))
    data = merge_config(data, overrides or {})
    try:
        return ActionTrainConfig.model_validate(data)
    except ValidationError as err:
        raise PhyslabError(f"{path or preset}: {describe_validation(err)}") from None


def model_config_for(world: TwoRooms | Push, fields: dict) -> ActionModelConfig:
    """The model config of a world: its picture size, frame skip, control rate and state, then `fields`."""
    base = {
        "world": world.name,
        "image_size": world.camera.image_size,
        "frame_skip": world.motion.frame_skip,
        "control_hz": world.motion.control_hz,
        "state_dim": len(world.state_names),
        "angle_symmetry": world.symmetry if world.kind == "push" else 0,
    }
    try:
        return ActionModelConfig.model_validate({**base, **fields})
    except ValidationError as err:
        raise PhyslabError(f"model config: {describe_validation(err)}") from None


def sample_sequences(
    episodes: Episodes, config: ActionModelConfig, batch_size: int, seed: int, step: int, rank: int
) -> tuple[torch.Tensor, ...]:
    """A batch of (B, R+1, 3, S, S) pictures a model step apart, (B, R, A) action chunks, (B, R+1, K) states and
    (B, 3, S, S) later pictures of the same episodes; a pure function of (seed, step, rank), so a resumed run sees
    the same data."""
    rng = np.random.default_rng([seed, step, rank])
    skip, rollout = config.frame_skip, config.rollout
    steps = episodes.actions.shape[1]
    if steps < rollout * skip:
        raise PhyslabError(f"episodes have {steps} steps; the model needs at least {rollout * skip} (rollout x frame_skip)")
    which = rng.integers(0, episodes.count, batch_size)
    start = rng.integers(0, steps - rollout * skip + 1, batch_size)
    times = start[:, None] + skip * np.arange(rollout + 1)
    later = start + skip * rng.integers(1, (steps - start) // skip + 1)
    frames = episodes.frames[which[:, None], times]
    goals = episodes.frames[which, later]
    moves = np.stack([episodes.actions[e, s : s + rollout * skip] for e, s in zip(which, start)])
    states = torch.from_numpy(episodes.states[which[:, None], times])
    return as_pictures(frames), chunk_actions(torch.from_numpy(moves), skip), states, as_pictures(goals)


def train_action_model(
    data: str | Path,
    out: str | Path,
    config: ActionTrainConfig,
    *,
    resume: bool = False,
    progress: bool = True,
    device: str = "auto",
) -> Path:
    """Train on the episodes in `data`, writing checkpoints to `out`; returns the model file."""
    out = Path(out)
    rank, world_size = _distributed()
    where = training_device(device)
    torch.set_num_threads(config.threads or max(1, (os.cpu_count() or 1) // world_size))
    state_path = out / "state.safetensors"
    if state_path.exists() and not resume:
        raise PhyslabError(f"{out}: holds a training run already; pass --resume to continue it, or pick a new folder")
    world = data_world(data)
    model_config = model_config_for(world, config.model)
    torch.manual_seed(config.seed)
    model = ActionWorldModel(model_config).to(where)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    start = _restore(state_path, model, optimizer, config) if resume and state_path.exists() else 0
    episodes = load_episodes(data)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        write_json(
            out / "config.json",
            {
                "train": config.model_dump(),
                "model": model_config.model_dump(),
                "data": str(data),
                "episodes": episodes.count,
                "processes": world_size,
            },
        )
        truncate_metrics(out / "metrics.csv", start, METRIC_COLUMNS)
    engine = (
        torch.nn.parallel.DistributedDataParallel(model, device_ids=[where] if where.type == "cuda" else None)
        if world_size > 1
        else model
    )
    bar = progress_bar(total=config.steps, initial=start, desc="training", unit="step", disable=not progress or rank != 0)
    started, before = time.perf_counter(), _elapsed(state_path)
    cpu_started, cpu_before = time.process_time(), _elapsed(state_path, "cpu_seconds")
    last = time.perf_counter()
    model.train()
    for step in range(start, config.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, step)
        batch = [part.to(where) for part in sample_sequences(episodes, model_config, config.batch_size, config.seed, step, rank)]
        loss, metrics = engine(*batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        now = time.perf_counter()
        metrics |= {
            "step": step + 1,
            "loss": loss.item(),
            "learning_rate": learning_rate(config, step),
            "episodes_per_second": config.batch_size * world_size / max(now - last, 1e-9),
        }
        last = now
        bar.update(1)
        if rank != 0:
            continue
        append_metrics(out / "metrics.csv", metrics, METRIC_COLUMNS)
        bar.set_postfix(loss=f"{metrics['loss']:.4f}", std=f"{metrics['embedding_std']:.3f}", refresh=False)
        done = step + 1
        if done % config.checkpoint_every == 0 or done == config.steps:
            info = {
                "step": done,
                "train_seconds": round(before + time.perf_counter() - started, 1),
                "cpu_seconds": round(cpu_before + time.process_time() - cpu_started, 1),  # every thread's, summed
                "processes": world_size,
                "training_episodes": episodes.count,
                "data": str(data),
            }
            _checkpoint(out, model, world, optimizer, config, info)
            model.train()
    bar.close()
    if rank == 0:  # the offline data's landmarks, for planning by subgoals
        build_landmarks(model.eval(), episodes).save(landmarks_file(out / "model.safetensors"))
    if world_size > 1:
        dist.barrier()
    return out / "model.safetensors"


def _distributed() -> tuple[int, int]:
    """(rank, world size); joins the process group when launched by torchrun (as physlab.train.loop does)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo", timeout=datetime.timedelta(seconds=120))
    return dist.get_rank(), world


def _checkpoint(
    out: Path,
    model: ActionWorldModel,
    world: TwoRooms | Push,
    optimizer: torch.optim.Optimizer,
    config: ActionTrainConfig,
    info: dict,
) -> None:
    """Model first, then the resumable state that points at it: a kill between the two loses nothing."""
    save_action_model(out / "model.safetensors", model.eval(), world, info)
    tensors = {f"model.{name}": value.detach().to("cpu", copy=True).contiguous() for name, value in model.state_dict().items()}
    optimizer_state = optimizer.state_dict()
    for index, values in optimizer_state["state"].items():
        for key, value in values.items():
            tensors[f"optimizer.{index}.{key}"] = value.detach().to("cpu", copy=True).contiguous()
    metadata = {
        "step": str(info["step"]),
        "param_groups": json.dumps(optimizer_state["param_groups"]),
        "config": config.model_dump_json(),
        "seconds": str(info["train_seconds"]),
        "cpu_seconds": str(info["cpu_seconds"]),
    }
    with atomic_path(out / "state.safetensors") as temp:
        save_file(tensors, str(temp), metadata=metadata)


def _restore(path: Path, model: ActionWorldModel, optimizer: torch.optim.Optimizer, config: ActionTrainConfig) -> int:
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    recorded = ActionTrainConfig.model_validate_json(metadata["config"])
    if recorded.model != config.model:
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


def _elapsed(path: Path, key: str = "seconds") -> float:
    """Seconds a run had spent before it resumed (wall clock, or `cpu_seconds` of its process)."""
    if not path.exists():
        return 0.0
    with safe_open(str(path), framework="pt") as handle:
        return float(handle.metadata().get(key, 0.0))
