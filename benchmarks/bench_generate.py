"""Generation speed against the render-bound floor, measured side by side in one run.

Training data: the floor is one bare pybullet process that builds the same scenes, steps them
and renders the same number of frames at the same size with the tiny renderer, and nothing else
(no trajectory, onset detection, masks, compression or files). physlab's `generate` is timed on
the same clips with 1 and with W worker processes, classic and with the randomized look. The
goal is W=2 at >= 1.5x the floor.

Stimuli: the floor is an independent single-process generator of the same pairs: it builds each
pair's scene, steps it and renders both twins' frames in full, and nothing else. physlab's
`stimuli --workers 1` is timed on the same families and seeds (frames written per second: both
twins, every frame), classic and randomized, at each size. physlab renders a pair's shared
prefix once, so it can beat a floor that renders every frame it writes.

    python benchmarks/bench_generate.py [--clips 96] [--size 64] [--workers 2] [--pairs 1] [--stimuli-sizes 64,128] [--repeat 1]

On a shared machine, `--repeat N` times every measure N times, interleaved, and keeps each one's
fastest run (the one other processes disturbed least).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import tempfile
import time
from pathlib import Path

import pybullet as p

from physlab.data.shards import training_seed, write_training_set
from physlab.data.stimuli import write_stimuli
from physlab.scenes.families import load_families
from physlab.scenes.render import camera_matrices, light_args
from physlab.scenes.spec import sample_scene
from physlab.scenes.world import PHYSICS_HZ, build_world, connect, disconnect


def render_floor(scenes, size: int, renders: int = 1) -> float:
    """Seconds to build, step and render every scene `renders` times in one bare process."""
    client = connect()
    start = time.perf_counter()
    for scene in scenes:
        build_world(client, scene)
        view, projection = camera_matrices(scene.camera, size)
        substeps = round(PHYSICS_HZ / scene.fps)
        for t in range(scene.frames):
            if t:
                for _ in range(substeps):
                    p.stepSimulation(physicsClientId=client)
            for _ in range(renders):
                p.getCameraImage(
                    size, size, view, projection, renderer=p.ER_TINY_RENDERER, **light_args(scene), physicsClientId=client
                )
    elapsed = time.perf_counter() - start
    disconnect(client)
    return elapsed


def physlab_training_seconds(families, clips: int, seed: int, size: int, workers: int, look: str | None = None) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_training_set(out, families, clips, seed=seed, size=size, workers=workers, shard_size=8, progress=False, look=look)
        return time.perf_counter() - start


def physlab_stimuli(families, pairs: int, seed: int, size: int, look: str | None = None) -> tuple[float, int]:
    """(seconds, frames written) of `physlab stimuli --workers 1`."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_stimuli(out, families, pairs, seed=seed, size=size, workers=1, progress=False, look=look)
        seconds = time.perf_counter() - start
        with open(Path(out) / "manifest.csv", newline="") as handle:
            frames = sum(int(row["frames"]) for row in csv.DictReader(handle))
    return seconds, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--clips", type=int, default=96)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=1, help="stimulus pairs per family")
    parser.add_argument("--stimuli-sizes", default="64,128")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the numbers here")
    parser.add_argument("--repeat", type=int, default=1, help="time each measure this many times, keep the fastest")
    args = parser.parse_args()
    families = load_families()
    scenes = [sample_scene(families[i % len(families)], training_seed(args.seed, i), size=args.size) for i in range(args.clips)]
    floor, one, many, randomized = (math.inf,) * 4
    for _ in range(args.repeat):
        floor = min(floor, render_floor(scenes, args.size))
        one = min(one, physlab_training_seconds(families, args.clips, args.seed, args.size, 1))
        many = min(many, physlab_training_seconds(families, args.clips, args.seed, args.size, args.workers))
        randomized = min(randomized, physlab_training_seconds(families, args.clips, args.seed, args.size, 1, "randomized"))
    results = {
        "clips": args.clips,
        "size": args.size,
        "floor_clips_per_s": args.clips / floor,
        "physlab_1_worker_clips_per_s": args.clips / one,
        f"physlab_{args.workers}_workers_clips_per_s": args.clips / many,
        "randomized_1_worker_clips_per_s": args.clips / randomized,
        "ratio_1_worker_vs_floor": floor / one,
        f"ratio_{args.workers}_workers_vs_floor": floor / many,
        "ratio_randomized_1_worker_vs_floor": floor / randomized,
    }
    pair_families = load_families(with_violations=True)
    for size in (int(s) for s in args.stimuli_sizes.split(",")):
        pair_scenes = [sample_scene(f, args.seed + i, size=size) for f in pair_families for i in range(args.pairs)]
        floor_frames = 2 * sum(scene.frames for scene in pair_scenes)
        floor_seconds, classic_seconds, random_seconds = (math.inf,) * 3
        for _ in range(args.repeat):
            floor_seconds = min(floor_seconds, render_floor(pair_scenes, size, renders=2))  # both twins, every frame
            seconds, classic_frames = physlab_stimuli(pair_families, args.pairs, args.seed, size)
            classic_seconds = min(classic_seconds, seconds)
            seconds, random_frames = physlab_stimuli(pair_families, args.pairs, args.seed, size, "randomized")
            random_seconds = min(random_seconds, seconds)
        results |= {
            f"stimuli_{size}px_floor_frames_per_s": floor_frames / floor_seconds,
            f"stimuli_{size}px_classic_frames_per_s": classic_frames / classic_seconds,
            f"stimuli_{size}px_randomized_frames_per_s": random_frames / random_seconds,
            f"stimuli_{size}px_ratio_classic_vs_floor": (classic_frames / classic_seconds) / (floor_frames / floor_seconds),
            f"stimuli_{size}px_ratio_randomized_vs_floor": (random_frames / random_seconds) / (floor_frames / floor_seconds),
        }
    print(f"{'measure':44s} value")
    for key, value in results.items():
        print(f"{key:44s} {value:.2f}" if isinstance(value, float) else f"{key:44s} {value}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
