"""Offline data of a world with actions: episodes of random and noisy scripted behaviour, no rewards.

Layout, as `physlab generate` writes training data: `shards/shard_00000.npz` with `frames` (N, T+1, S, S, 3)
uint8, `actions` (N, T, 2) float32 (action t is applied between frames t and t+1), `states` (N, T+1, K)
float32 (the bodies' positions, for display probes and checks, never a reward) and `meta`; `manifest.csv`
(shard, index, world, behaviour, seed) and `dataset.json` (the world and the settings). Episode i is a pure
function of (world, seed, i), drawn from the training seed stream, apart from the planner's evaluation
tasks (`evaluation_seed`). A killed run, run again, makes only the missing shards.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physlab.control.behaviour import BEHAVIOURS, behaviour_policy, random_state, run_policy
from physlab.control.spec import Push, TwoRooms, load_world
from physlab.control.worlds import connect, disconnect, make_world
from physlab.data.parallel import run_batches
from physlab.data.settings import claim_settings
from physlab.data.shards import shard_files, shard_path, training_seed
from physlab.data.stimuli import SetReport
from physlab.errors import PhyslabError
from physlab.files import atomic_path, clean_partial_files, exclusive_folder, write_csv

MANIFEST_COLUMNS = ["shard", "index", "world", "behaviour", "seed"]
SETTINGS_FILE = "dataset.json"
SCRIPTED_SHARE = 0.7  # of episodes; the rest wander at random


@dataclass(frozen=True)
class _ShardJob:
    shard: int
    indices: tuple[int, ...]
    world: TwoRooms | Push
    seed: int
    steps: int
    out: Path


@dataclass
class Episodes:
    """Episodes in memory: frames (N, T+1, S, S, 3) uint8, actions (N, T, 2) and states (N, T+1, K) float32."""

    frames: np.ndarray
    actions: np.ndarray
    states: np.ndarray
    world: TwoRooms | Push

    @property
    def count(self) -> int:
        return self.frames.shape[0]


def episode_behaviour(seed: int) -> str:
    """Which behaviour an episode of this seed follows."""
    return BEHAVIOURS[1] if np.random.default_rng([seed, 0xBE]).random() < SCRIPTED_SHARE else BEHAVIOURS[0]


def write_action_set(
    out: str | Path,
    world: TwoRooms | Push | str,
    episodes: int,
    *,
    seed: int = 0,
    steps: int = 100,
    workers: int = 1,
    shard: tuple[int, int] = (0, 1),
    shard_size: int = 32,
    progress: bool = True,
) -> SetReport:
    """Write `episodes` episodes of `steps` env steps each, in npz shards of `shard_size`; returns what was made."""
    spec = load_world(world) if isinstance(world, str) else world
    out = Path(out)
    part, parts = shard
    manifest = out / ("manifest.csv" if parts == 1 else f"manifest-{part}-of-{parts}.csv")
    mine = [k for k in range(math.ceil(episodes / shard_size)) if k % parts == part]
    with exclusive_folder(out, "" if parts == 1 else f"-{part}-of-{parts}"):
        clean_partial_files(out, [shard_path(out, k).stem for k in mine] + [manifest.stem])
        claim_settings(
            out,
            SETTINGS_FILE,
            {
                "actions": True,
                "world": spec.model_dump(exclude={"source"}),
                "seed": seed,
                "steps": steps,
                "shard_size": shard_size,
            },
        )
        report = SetReport(manifest=manifest)
        jobs = []
        for k in mine:
            indices = tuple(range(k * shard_size, min(episodes, (k + 1) * shard_size)))
            if _complete(shard_path(out, k), len(indices)):
                report.reused += len(indices)
            else:
                jobs.append(_ShardJob(k, indices, spec, seed, steps, out))
        for made in run_batches(
            _write_shard,
            jobs,
            workers=workers,
            sizes=[len(j.indices) for j in jobs],
            description="episodes",
            unit="episode",
            progress=progress,
        ):
            report.made += made
        _write_manifest(manifest, [shard_path(out, k) for k in mine])
    return report


def is_action_data(folder: str | Path) -> bool:
    """Whether a training folder holds episodes with actions (made by `physlab generate --actions`)."""
    path = Path(folder) / SETTINGS_FILE
    try:
        return bool(json.loads(path.read_text()).get("actions"))
    except (OSError, json.JSONDecodeError, AttributeError):
        return False


def data_world(folder: str | Path) -> TwoRooms | Push:
    """The world a folder of episodes was made in."""
    path = Path(folder) / SETTINGS_FILE
    try:
        recorded = json.loads(path.read_text())["world"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise PhyslabError(f"{path}: not a record of episodes with actions ({err})") from None
    return (TwoRooms if recorded["kind"] == "two_rooms" else Push).model_validate(recorded)


def load_episodes(folder: str | Path, limit: int | None = None) -> Episodes:
    """Every episode of a folder (or the first `limit`), in memory."""
    frames, actions, states = [], [], []
    for path in shard_files(folder):
        data = _load(path, ("frames", "actions", "states"))
        frames.append(data["frames"])
        actions.append(data["actions"])
        states.append(data["states"])
        if limit is not None and sum(len(f) for f in frames) >= limit:
            break
    if not frames:
        raise PhyslabError(f"{folder}: the manifest lists no shards")
    return Episodes(
        np.concatenate(frames)[:limit], np.concatenate(actions)[:limit], np.concatenate(states)[:limit], data_world(folder)
    )


def _write_shard(job: _ShardJob) -> int:
    client = connect()
    try:
        world = make_world(job.world, client)
        frames, actions, states, meta = [], [], [], []
        for index in job.indices:
            seed = training_seed(job.seed, index)
            behaviour = episode_behaviour(seed)
            rng = np.random.default_rng(seed)
            world.reset(random_state(job.world, rng))
            episode = run_policy(world, behaviour_policy(job.world, behaviour, rng), job.steps)
            for store, value in zip((frames, actions, states), episode):
                store.append(value)
            meta.append({"index": index, "world": job.world.name, "behaviour": behaviour, "seed": seed})
    finally:
        disconnect(client)
    with atomic_path(shard_path(job.out, job.shard)) as temp:
        np.savez_compressed(
            temp, frames=np.stack(frames), actions=np.stack(actions), states=np.stack(states), meta=np.array(json.dumps(meta))
        )
    return len(meta)


def _load(path: Path, keys: tuple[str, ...]) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            loaded = {key: data[key] for key in keys}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise PhyslabError(f"{path}: not a readable shard of episodes ({err})") from None
    if "meta" in loaded:
        loaded["meta"] = json.loads(str(loaded["meta"]))
    return loaded


def _complete(path: Path, expected: int) -> bool:
    if not path.exists():
        return False
    try:
        return len(_load(path, ("meta",))["meta"]) == expected
    except (PhyslabError, json.JSONDecodeError):
        return False


def _write_manifest(manifest: Path, shards: list[Path]) -> None:
    rows = []
    for path in shards:
        if path.exists():
            for meta in _load(path, ("meta",))["meta"]:
                rows.append({"shard": str(path.relative_to(manifest.parent)), **{k: meta[k] for k in MANIFEST_COLUMNS[1:]}})
    write_csv(manifest, rows, MANIFEST_COLUMNS)
