"""Training data: possible events only, in compressed npz shards with a manifest.

Clip i of a set made with seed S comes from family i mod F with seed `training_seed(S, i)`,
so any shard can be made by any machine (`--shard i/N`), and a killed run, run again, makes
only the shards that are missing. A shard appears under its final name only when complete.

With a look, each clip is rendered at the look's size, aspect and frame rate, goes through its
codec and is fitted into square frames (`physlab/data/fitting.py`); clips of one shard then
differ in length (one duration, several frame rates), so a shard's frames are padded with black
after each clip's own `frames`, and each clip's meta records its `fps` and `frames`.
"""

from __future__ import annotations

import csv
import json
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physlab.data.fitting import training_view
from physlab.data.parallel import run_batches
from physlab.data.settings import claim_settings
from physlab.data.stimuli import SetReport
from physlab.errors import PhyslabError
from physlab.files import atomic_path, clean_partial_files, exclusive_folder, write_csv
from physlab.scenes.clips import make_clip, pybullet_client
from physlab.scenes.looks import Look, effective_look, look_settings
from physlab.scenes.spec import Family

SHARD_COLUMNS = ["shard", "index", "family", "concept", "seed"]


@dataclass(frozen=True)
class _ShardJob:
    shard: int
    indices: tuple[int, ...]
    families: tuple[Family, ...]
    seed: int
    out: Path
    size: int
    frames: int | None
    look: Look | None = None


@dataclass
class Shard:
    """Frames (N, T, H, W, 3) uint8, masks (N, T, H, W) uint8 and one metadata dict per clip."""

    frames: np.ndarray
    masks: np.ndarray
    meta: list[dict]


def training_seed(seed: int, index: int) -> int:
    """The seed of training clip `index`; a stream apart from the small seeds stimuli use."""
    return int(np.random.SeedSequence([seed, index, 0x5EED]).generate_state(1)[0] & 0x7FFFFFFF)


def shard_path(out: Path, shard: int) -> Path:
    return out / "shards" / f"shard_{shard:05d}.npz"


def parse_shard(text: str) -> tuple[int, int]:
    """'i/N' -> (i, N) with 0 <= i < N."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise PhyslabError(f"--shard {text!r}: expected i/N, for example 0/4") from None
    if not 0 <= index < count:
        raise PhyslabError(f"--shard {text!r}: need 0 <= i < N")
    return index, count


def write_training_set(
    out: str | Path,
    families: list[Family],
    clips: int,
    *,
    seed: int = 0,
    size: int = 64,
    frames: int | None = None,
    workers: int = 1,
    shard: tuple[int, int] = (0, 1),
    shard_size: int = 32,
    progress: bool = True,
    look: Look | str | None = None,
) -> SetReport:
    """Write `clips` possible clips drawn round-robin from `families` as npz shards.

    `look`: a Look, a bundled look's name or a look file; each clip is filmed in a look drawn from it.
    """
    out = Path(out)
    look = effective_look(look)
    part, parts = shard
    manifest = out / ("manifest.csv" if parts == 1 else f"manifest-{part}-of-{parts}.csv")
    mine = [k for k in range(math.ceil(clips / shard_size)) if k % parts == part]
    # Parts of one set may run at once on a cluster: each locks and cleans only its own shards.
    with exclusive_folder(out, "" if parts == 1 else f"-{part}-of-{parts}"):
        clean_partial_files(out, [shard_path(out, k).stem for k in mine] + [manifest.stem])
        claim_settings(
            out,
            "dataset.json",
            {
                "families": [f.name for f in families],
                "seed": seed,
                "size": size,
                "frames": frames,
                "shard_size": shard_size,
                **look_settings(look),
            },
        )
        report = SetReport(manifest=manifest)
        jobs = []
        for k in mine:
            indices = tuple(range(k * shard_size, min(clips, (k + 1) * shard_size)))
            if _shard_complete(shard_path(out, k), len(indices)):
                report.reused += len(indices)
            else:
                jobs.append(_ShardJob(k, indices, tuple(families), seed, out, size, frames, look))
        for made in run_batches(
            _write_shard, jobs, workers=workers, sizes=[len(j.indices) for j in jobs], description="clips", progress=progress
        ):
            report.made += made
        _write_manifest(manifest, [shard_path(out, k) for k in mine])
    return report


def _write_shard(job: _ShardJob) -> int:
    if job.look is not None:
        return _write_filmed_shard(job)
    with pybullet_client() as client:
        clips = [
            make_clip(
                job.families[index % len(job.families)],
                training_seed(job.seed, index),
                size=job.size,
                frames=job.frames,
                client=client,
            )
            for index in job.indices
        ]
    meta = [
        {
            "index": index,
            "family": c.scene.family,
            "concept": c.scene.concept,
            "seed": c.scene.seed,
            "objects": c.objects,
            "fps": c.fps,
        }
        for index, c in zip(job.indices, clips)
    ]
    with atomic_path(shard_path(job.out, job.shard)) as temp:
        np.savez_compressed(
            temp,
            frames=np.stack([c.frames for c in clips]),
            masks=np.stack([c.masks for c in clips]),
            meta=np.array(json.dumps(meta)),
        )
    return len(clips)


def _write_filmed_shard(job: _ShardJob) -> int:
    """A shard of clips filmed in a look: square frames of the shard's size, padded after each clip's end."""
    views, meta = [], []
    with pybullet_client() as client:
        for index in job.indices:
            family = job.families[index % len(job.families)]
            clip = make_clip(
                family, training_seed(job.seed, index), size=job.size, frames=job.frames, client=client, look=job.look
            )
            views.append(training_view(clip, job.size))
            look = clip.look
            meta.append(
                {
                    "index": index,
                    "family": clip.scene.family,
                    "concept": clip.scene.concept,
                    "seed": clip.scene.seed,
                    "objects": clip.objects,
                    "fps": clip.fps,
                    "frames": len(clip.frames),
                    "look": look.name,
                    "filmed": {"width": look.width_pixels, "height": look.image_height, "codec": look.codec, "fit": look.fit},
                }
            )
    longest = max(len(frames) for frames, _ in views)
    frames = np.zeros((len(views), longest, job.size, job.size, 3), dtype=np.uint8)
    masks = np.zeros((len(views), longest, job.size, job.size), dtype=np.uint8)
    for i, (clip_frames, clip_masks) in enumerate(views):
        frames[i, : len(clip_frames)], masks[i, : len(clip_masks)] = clip_frames, clip_masks
    with atomic_path(shard_path(job.out, job.shard)) as temp:
        np.savez_compressed(temp, frames=frames, masks=masks, meta=np.array(json.dumps(meta)))
    return len(views)


def _shard_complete(path: Path, expected: int) -> bool:
    if not path.exists():
        return False
    try:
        return len(read_shard_meta(path)) == expected
    except PhyslabError:
        return False


def read_shard_meta(path: str | Path) -> list[dict]:
    """The per-clip metadata of a shard, without loading its frames."""
    return _load_shard(path, ("meta",))["meta"]


def read_shard(path: str | Path) -> Shard:
    """Load one shard whole."""
    return Shard(**_load_shard(path, ("frames", "masks", "meta")))


def _load_shard(path: str | Path, keys: tuple[str, ...]) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            loaded = {key: data[key] for key in keys}
        loaded["meta"] = json.loads(str(loaded["meta"])) if "meta" in loaded else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as err:
        raise PhyslabError(f"{path}: not a readable physlab shard ({err})") from None
    return {key: loaded[key] for key in keys}


def shard_files(folder: str | Path) -> list[Path]:
    """The shards a training folder's manifests list (all manifests, so merged shard runs count)."""
    folder = Path(folder)
    manifests = sorted(folder.glob("manifest*.csv"))
    if not manifests:
        raise PhyslabError(f"{folder}: no manifest.csv; make training data with `physlab generate`")
    names: dict[str, None] = {}
    for manifest in manifests:
        with open(manifest, newline="") as handle:
            reader = csv.DictReader(handle)
            if "shard" not in (reader.fieldnames or []):
                # A stimulus set has a manifest.csv too, of clips: the likeliest mix-up.
                raise PhyslabError(
                    f"{manifest}: not a training set's manifest (no shard column); `physlab generate` makes training data, "
                    "`physlab stimuli` makes test pairs"
                )
            for row in reader:
                names[row["shard"]] = None
    return [folder / name for name in names]


def iter_training_clips(folder: str | Path) -> Iterator[tuple[np.ndarray, dict]]:
    """Each training clip's frames (without a shard's padding) and metadata, one shard in memory at a time."""
    for path in shard_files(folder):
        shard = read_shard(path)
        for frames, meta in zip(shard.frames, shard.meta):
            yield frames[: meta.get("frames", len(frames))], meta


def _write_manifest(manifest: Path, shards: list[Path]) -> None:
    rows = []
    for path in shards:
        if path.exists():
            for meta in read_shard_meta(path):
                rows.append({"shard": str(path.relative_to(manifest.parent)), **{k: meta[k] for k in SHARD_COLUMNS[1:]}})
    write_csv(manifest, rows, SHARD_COLUMNS)
