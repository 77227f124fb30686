"""Generation speed against the render-bound floor, measured side by side in one run.

The floor is one bare pybullet process that builds the same scenes, steps them and renders
the same number of frames at the same size with the tiny renderer, and nothing else (no
trajectory, onset detection, masks, compression or files). physlab's `generate` is timed on
the same clips with 1 and with W worker processes. The goal is W=2 at >= 1.5x the floor.

    python benchmarks/bench_generate.py [--clips 96] [--size 64] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import pybullet as p

from physlab.data.shards import training_seed, write_training_set
from physlab.scenes.families import load_families
from physlab.scenes.render import camera_matrices, light_args
from physlab.scenes.spec import sample_scene
from physlab.scenes.world import PHYSICS_HZ, build_world, connect, disconnect


def floor_seconds(families, clips: int, seed: int, size: int) -> float:
    """Bare step-and-render of the same scenes in one process."""
    client = connect()
    scenes = [sample_scene(families[i % len(families)], training_seed(seed, i), size=size) for i in range(clips)]
    start = time.perf_counter()
    for scene in scenes:
        build_world(client, scene)
        view, projection = camera_matrices(scene.camera, size)
        substeps = round(PHYSICS_HZ / scene.fps)
        for t in range(scene.frames):
            if t:
                for _ in range(substeps):
                    p.stepSimulation(physicsClientId=client)
            p.getCameraImage(
                size, size, view, projection, renderer=p.ER_TINY_RENDERER, **light_args(scene), physicsClientId=client
            )
    elapsed = time.perf_counter() - start
    disconnect(client)
    return elapsed


def physlab_seconds(families, clips: int, seed: int, size: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_training_set(out, families, clips, seed=seed, size=size, workers=workers, shard_size=8, progress=False)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=96)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    families = load_families()
    floor = floor_seconds(families, args.clips, args.seed, args.size)
    one = physlab_seconds(families, args.clips, args.seed, args.size, 1)
    many = physlab_seconds(families, args.clips, args.seed, args.size, args.workers)
    results = {
        "clips": args.clips,
        "size": args.size,
        "floor_clips_per_s": args.clips / floor,
        "physlab_1_worker_clips_per_s": args.clips / one,
        f"physlab_{args.workers}_workers_clips_per_s": args.clips / many,
        "ratio_1_worker_vs_floor": floor / one,
        f"ratio_{args.workers}_workers_vs_floor": floor / many,
    }
    print(f"{'measure':36s} value")
    for key, value in results.items():
        print(f"{key:36s} {value:.2f}" if isinstance(value, float) else f"{key:36s} {value}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
