"""Stimulus sets: matched possible/impossible pairs on disk, in the DESIGN.md contract.

Layout: `manifest.csv` (clip, pair, label, concept, family, seed, onset_frame, ...),
`clips/*.mp4` (H.264; with a look, its codec and container: .gif, .avi or .mp4, at its size
and frame rate), `meta/*.json` (parameters, onset, visible pixels per frame, the concrete look)
and `masks/*.npz` (per-object segmentation). A pair is complete when `pairs/<pair>.json` exists;
it is written last, so a killed run, run again, redoes only unfinished pairs.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from physlab.data.codecs import write_clip
from physlab.data.parallel import run_batches
from physlab.data.settings import claim_settings
from physlab.errors import PhyslabError
from physlab.files import atomic_path, clean_partial_files, exclusive_folder, write_csv, write_json
from physlab.scenes.clips import PAIR_DRAWS, Clip, Pair, make_pair, pybullet_client
from physlab.scenes.looks import Look, effective_look, look_settings
from physlab.scenes.spec import Family

MANIFEST_COLUMNS = ["clip", "pair", "label", "concept", "family", "seed", "onset_frame", "violation", "frames", "fps"]
PAIRS_PER_TASK = 4


@dataclass
class SetReport:
    """What a run wrote: the manifest, how many units it made or found done, and errors."""

    manifest: Path
    made: int = 0
    reused: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _PairJob:
    pairs: tuple[tuple[Family, int], ...]  # (family, seed) of each pair, families mixed
    out: Path
    size: int
    frames: int | None
    look: Look | None = None


def pair_id(family: str, seed: int) -> str:
    return f"{family}_{seed:06d}"


def write_stimuli(
    out: str | Path,
    families: list[Family],
    pairs: int,
    *,
    seed: int = 0,
    size: int = 128,
    frames: int | None = None,
    workers: int = 1,
    progress: bool = True,
    look: Look | str | None = None,
) -> SetReport:
    """Write `pairs` pairs of each family (seeds `seed`, `seed`+1, ...) to `out`.

    `look`: a Look, a bundled look's name or a look file; clips are then stored in its codec, size and frame rate.
    """
    out = Path(out)
    look = effective_look(look)
    with exclusive_folder(out):
        clean_partial_files(out)
        claim_settings(out, "stimuli.json", {"size": size, "frames": frames, "pair_draws": PAIR_DRAWS, **look_settings(look)})
        report = SetReport(manifest=out / "manifest.csv")
        todo: dict[str, list[int]] = {}
        for family in families:
            seeds = [seed + i for i in range(pairs)]
            missing = [s for s in seeds if not (out / "pairs" / f"{pair_id(family.name, s)}.json").exists()]
            report.reused += len(seeds) - len(missing)
            todo[family.name] = missing
        # A task holds a few pairs of any families: one client for all; a pair's files are written while the next renders.
        waiting = [(family, s) for family in families for s in todo[family.name]]
        batches = [tuple(waiting[i : i + PAIRS_PER_TASK]) for i in range(0, len(waiting), PAIRS_PER_TASK)]
        jobs = [_PairJob(batch, out, size, frames, look) for batch in batches]
        for made, errors in run_batches(
            _write_pairs,
            jobs,
            workers=workers,
            sizes=[len(job.pairs) for job in jobs],
            description="pairs",
            unit="pair",
            progress=progress,
        ):
            report.made += made
            report.errors.extend(errors)
        _write_manifest(out)
    return report


def _write_pairs(job: _PairJob) -> tuple[int, list[str]]:
    """Make the job's pairs; each pair's files are written (and encoded) by a thread while the next one renders."""
    made, errors = 0, []
    with pybullet_client() as client, ThreadPoolExecutor(max_workers=1) as writer:
        writing = None
        for family, seed in job.pairs:
            try:
                pair = make_pair(family, seed, size=job.size, frames=job.frames, client=client, look=job.look)
            except PhyslabError as err:
                errors.append(str(err))
                continue
            if writing is not None:
                made += writing.result()  # at most one pair waits in memory
            writing = writer.submit(_write_pair, job.out, pair_id(family.name, seed), pair)
        if writing is not None:
            made += writing.result()
    return made, errors


def _write_pair(out: Path, name: str, pair: Pair) -> int:
    """The pair's clips, masks and meta, then its record: a pair is complete only when its record exists."""
    rows = [_write_clip(out, name, clip) for clip in (pair.possible, pair.impossible)]
    write_json(out / "pairs" / f"{name}.json", rows)
    return 1


def _write_clip(out: Path, pair: str, clip: Clip) -> dict:
    stem = f"{pair}_{clip.label}"
    suffix = clip.look.suffix if clip.look else ".mp4"
    write_clip(out / "clips" / f"{stem}{suffix}", clip.frames, clip.fps, clip.look)
    with atomic_path(out / "masks" / f"{stem}.npz") as temp:
        np.savez_compressed(temp, masks=clip.masks, objects=np.array(clip.objects))
    write_json(out / "meta" / f"{stem}.json", clip.metadata())
    return {
        "clip": f"clips/{stem}{suffix}",
        "pair": pair,
        "label": clip.label,
        "concept": clip.scene.concept,
        "family": clip.scene.family,
        "seed": clip.scene.seed,
        "onset_frame": clip.onset_frame,
        "violation": clip.violation,
        "frames": int(clip.frames.shape[0]),
        "fps": clip.fps,
    }


def _write_manifest(out: Path) -> None:
    """List every complete pair in the folder (earlier runs' too), in a stable order."""
    rows = []
    for path in sorted((out / "pairs").glob("*.json")):
        rows.extend(json.loads(path.read_text()))
    write_csv(out / "manifest.csv", rows, MANIFEST_COLUMNS)
