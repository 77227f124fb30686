"""Surprise under action: pairs in which an action's outcome is impossible, and how the action model scores them.

Each pair is one start and one sequence of actions, filmed twice: as the physics has it (possible) and
edited from the moment the action takes effect (impossible): in the push world the pushed object does not
move (`object_stays`) or moves the wrong way (`moves_wrong_way`); in two rooms the agent passes through the
wall (`passes_through_wall`). The twins are identical before the onset. A set is an ordinary stimulus set
(`manifest.csv` with clip, pair, label, concept, ...; H.264 clips) plus, for each clip, its actions in
`actions/<clip>.npz` (`actions` (T, 2) float32, action t taken between frames t and t+1, and `fps`), named
in the manifest's `actions` column. `physlab evaluate SET --model plan_push.safetensors` scores it: the
action model's surprise at a picture is its prediction error from the picture a model step before and the
chunk of actions taken in between.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from physlab.control.behaviour import _pusher, random_state, run_policy
from physlab.control.model import ActionWorldModel, chunk_actions
from physlab.control.spec import Push, TwoRooms, load_world
from physlab.control.worlds import ControlWorld, connect, disconnect, make_world
from physlab.data.settings import claim_settings
from physlab.data.stimuli import MANIFEST_COLUMNS, SetReport
from physlab.data.video import Video, write_mp4
from physlab.errors import PhyslabError
from physlab.files import atomic_path, clean_partial_files, exclusive_folder, write_csv, write_json
from physlab.model.networks import as_pictures

VIOLATIONS = {"push": ("object_stays", "moves_wrong_way"), "two_rooms": ("passes_through_wall",)}
CONCEPTS = {"object_stays": "collision", "moves_wrong_way": "collision", "passes_through_wall": "solidity"}
CLIP_STEPS = 40  # env steps of a clip: 4 s at 10 Hz
MOVED = 0.004  # metres the object must have moved for the push to have taken effect


@dataclass
class ActionPair:
    """One start and one action sequence, filmed as it happens and as edited from `onset` on."""

    possible: np.ndarray  # (T + 1, S, S, 3)
    impossible: np.ndarray
    actions: np.ndarray  # (T, 2)
    onset: int
    violation: str
    seed: int


def make_action_pair(world: TwoRooms | Push, live: ControlWorld, seed: int, violation: str) -> ActionPair:
    """A pair of a world, a pure function of (world, seed, violation)."""
    if violation not in VIOLATIONS[world.kind]:
        raise PhyslabError(f"world {world.name!r} has no violation {violation!r}; it has {', '.join(VIOLATIONS[world.kind])}")
    rng = np.random.default_rng([seed, 0x5A2])
    for _ in range(100):
        states, actions = _wall_run(world, live, rng) if world.kind == "two_rooms" else _push_run(world, live, rng)
        edited, onset = _edit(world, live, states, actions, violation)
        if onset is not None and 2 <= onset <= len(states) - 10:
            break
    else:
        raise PhyslabError(f"no {violation} pair found for seed {seed}")  # not reached with the bundled worlds
    return ActionPair(_film(live, states), _film(live, edited), actions, onset, violation, seed)


def write_action_stimuli(
    out: str | Path, world: TwoRooms | Push | str, pairs: int, *, seed: int = 0, progress: bool = True
) -> SetReport:
    """`pairs` pairs of each of the world's violations (seeds `seed`, `seed`+1, ...), as a stimulus set in `out`."""
    from physlab.progress import progress_bar

    spec = load_world(world) if isinstance(world, str) else world
    out = Path(out)
    with exclusive_folder(out):
        clean_partial_files(out)
        claim_settings(out, "stimuli.json", {"actions": True, "world": spec.name})
        report = SetReport(manifest=out / "manifest.csv")
        todo = [(v, seed + i) for v in VIOLATIONS[spec.kind] for i in range(pairs)]
        client = connect()
        try:
            live = make_world(spec, client)
            for violation, pair_seed in progress_bar(todo, desc="pairs", unit="pair", disable=not progress):
                name = f"{spec.name}_{violation}_{pair_seed:06d}"
                if (out / "pairs" / f"{name}.json").exists():
                    report.reused += 1
                    continue
                pair = make_action_pair(spec, live, pair_seed, violation)
                rows = [_write_clip(out, spec, name, label, pair) for label in ("possible", "impossible")]
                write_json(out / "pairs" / f"{name}.json", rows)
                report.made += 1
        finally:
            disconnect(client)
        rows = [row for path in sorted((out / "pairs").glob("*.json")) for row in json.loads(path.read_text())]
        write_csv(out / "manifest.csv", rows, [*MANIFEST_COLUMNS, "actions", "world"])
    return report


def read_actions(path: str | Path) -> tuple[np.ndarray, float]:
    """A clip's actions (T, 2) float32 and their rate; errors name the file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            actions, fps = np.asarray(data["actions"], dtype=np.float32), float(data["fps"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise PhyslabError(f"{path}: not a readable actions file with 'actions' and 'fps' ({err})") from None
    if actions.ndim != 2 or actions.shape[1] != 2:
        raise PhyslabError(f"{path}: 'actions' must be (T, 2), got shape {actions.shape}")
    return actions, fps


def action_surprise(
    model: ActionWorldModel, frames: np.ndarray, fps: float, actions: np.ndarray, actions_fps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per model step, the surprise of a clip under its actions: (values (n,), source frame index (n,)).

    `frames` (T, H, W, 3) uint8 at `fps`, `actions` (T', 2) at `actions_fps` (the env's control rate, the
    rate the model's chunks are made of). Picture k of the model is the one on screen at k / model fps; its
    surprise is the squared distance between its embedding and the one predicted from the picture before it
    with the chunk of actions taken in between (NaN for the first picture).
    """
    config = model.config
    if abs(actions_fps - config.control_hz) > 1e-6:
        raise PhyslabError(f"actions at {actions_fps:g} Hz; the model takes {config.control_hz:g} Hz commands")
    duration = min(len(frames) / fps, len(actions) / actions_fps)
    count = int(np.floor(duration * config.fps + 1e-6)) + 1
    index = np.minimum(np.floor(np.arange(count) * fps / config.fps + 1e-6).astype(int), len(frames) - 1)
    from physlab.data.video import fit_frames

    pictures = fit_frames(frames[index], config.image_size, "crop")
    chunks = chunk_actions(torch.from_numpy(actions[: (count - 1) * config.frame_skip]), config.frame_skip)
    with torch.no_grad():
        return model.surprise_channels(as_pictures(pictures)[None], chunks[None])[0, 0].numpy(), index


def score_clips(model: ActionWorldModel, folder: str | Path, rows: list[dict], videos: list[Video]) -> tuple[list, list[str]]:
    """Surprise curves (physlab.voe.surprise.SurpriseCurve) of each clip under the actions its row names, and
    one error line per clip without readable actions."""
    from physlab.voe.surprise import SurpriseCurve

    folder = Path(folder)
    curves, errors = [], []
    inside = folder.resolve()
    trained_in = model.config.world
    for row, video in zip(rows, videos):
        name, frames, fps = video.name, video.frames, video.fps
        where = row.get("actions") or ""
        path = folder / where
        if row.get("world") and row["world"] != trained_in:
            errors.append(
                f"{folder / 'manifest.csv'}: clip {name!r} was made in the world {row['world']!r}; "
                f"the model was trained in {trained_in!r}"
            )
            continue
        if not where:
            errors.append(
                f"{folder / 'manifest.csv'}: clip {name!r} names no actions file (an 'actions' column); the model needs them"
            )
            continue
        if not path.resolve().is_relative_to(inside):
            errors.append(f"{folder / 'manifest.csv'}: actions {where!r} point outside the set's folder")
            continue
        try:
            actions, actions_fps = read_actions(path)
            values, index = action_surprise(model, frames, fps, actions, actions_fps)
        except PhyslabError as err:
            errors.append(str(err))
            continue
        curves.append(
            SurpriseCurve(
                name,
                values,
                video.source_index[index],
                model.config.fps,
                source_times=video.source_times,
                timing=video.timing,
            )
        )
    return curves, errors


def _write_clip(out: Path, world: TwoRooms | Push, name: str, label: str, pair: ActionPair) -> dict:
    stem = f"{name}_{label}"
    frames = pair.possible if label == "possible" else pair.impossible
    write_mp4(out / "clips" / f"{stem}.mp4", frames, world.motion.control_hz)
    with atomic_path(out / "actions" / f"{stem}.npz") as temp:
        np.savez(temp, actions=pair.actions, fps=np.float32(world.motion.control_hz))
    return {
        "clip": f"clips/{stem}.mp4",
        "pair": name,
        "label": label,
        "concept": CONCEPTS[pair.violation],
        "family": f"{world.name}_actions",
        "seed": pair.seed,
        "onset_frame": pair.onset,
        "violation": pair.violation,
        "frames": int(frames.shape[0]),
        "fps": world.motion.control_hz,
        "actions": f"actions/{stem}.npz",
        "world": world.name,
    }


def _push_run(world: Push, live: ControlWorld, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A scripted push from a random start: the pusher goes behind the object and pushes it."""
    live.reset(random_state(world, rng))
    _, actions, states = run_policy(live, _pusher(world, rng, first_push_only=True), CLIP_STEPS, render=False)
    return states.astype(np.float64), actions


def _wall_run(world: TwoRooms, live: ControlWorld, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """From beside the middle wall, away from the door, the agent heads across the wall to a point beyond it and
    stops there (where the wall lets it)."""
    keep = world.agent.radius + world.task.clearance
    door_low, door_high = world.door_centre - world.door_width / 2, world.door_centre + world.door_width / 2
    lanes = [
        (low, high)
        for low, high in ((-world.half_size + keep, door_low - keep), (door_high + keep, world.half_size - keep))
        if high > low
    ]
    low, high = lanes[int(rng.integers(len(lanes)))]
    side = 1 if rng.random() < 0.5 else -1
    start = np.array([side * rng.uniform(0.4, 0.7), rng.uniform(low, high)])
    beyond = -side * rng.uniform(0.3, 0.6)
    speed = rng.uniform(0.5, 1.0)
    step = world.motion.max_speed / world.motion.control_hz
    commanded = {"x": start[0]}  # where the commands alone would have taken it

    def across(_: np.ndarray) -> np.ndarray:
        remaining = beyond - commanded["x"]
        vx = float(np.clip(remaining / step, -speed, speed))
        commanded["x"] += vx * step
        return np.array([vx, 0.0])

    live.reset(start)
    _, actions, states = run_policy(live, across, CLIP_STEPS, render=False)
    return states.astype(np.float64), actions


def _edit(
    world: TwoRooms | Push, live: ControlWorld, states: np.ndarray, actions: np.ndarray, violation: str
) -> tuple[np.ndarray, int | None]:
    """The impossible states, and the first frame at which they differ from the possible ones."""
    edited = states.copy()
    if violation == "passes_through_wall":  # the same actions again, in a world whose wall lets the agent through
        live.reset(states[0])
        live.pass_through_walls()
        for t, action in enumerate(actions, start=1):
            live.step(action)
            edited[t] = live.state()
    else:
        moved = np.flatnonzero(np.linalg.norm(states[:, 2:4] - states[0, 2:4], axis=1) > MOVED)
        if not len(moved):
            return edited, None
        first = int(moved[0]) - 1
        if violation == "object_stays":
            edited[first:, 2:5] = states[first, 2:5]
        else:
            edited[first:, 2:5] = 2 * states[first, 2:5] - states[first:, 2:5]
    differs = np.flatnonzero(np.abs(edited - states).max(axis=1) > 1e-3)
    return edited, (int(differs[0]) if len(differs) else None)


def _film(live: ControlWorld, states: np.ndarray) -> np.ndarray:
    """Pictures of a sequence of states, each placed as it is (no physics between them)."""
    frames = []
    for state in states:
        live.reset(state)
        frames.append(live.render())
    return np.stack(frames)
