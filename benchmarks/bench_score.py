"""Marginal cost of scoring one clip: whole-process `physlab score` time on 41 clips minus
on 1 clip, divided by 40 (48-frame 128x128 H.264 clips, the bundled JEPA), in float32 and with
the default precision (bfloat16 where the CPU computes it natively). Goal: <= 50 ms.

    python benchmarks/bench_score.py [--model jepa] [--repeats 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from physlab.data.stimuli import write_stimuli
from physlab.scenes.clips import PAIR_DRAWS
from physlab.scenes.families import load_families

HERE = Path(__file__).resolve().parent


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--model", default="jepa")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = HERE / "data" / f"score_clips_pairs{PAIR_DRAWS}"
    write_stimuli(folder, load_families("inertia,solidity,support_car", with_violations=True), 7, seed=7000, size=128, workers=2)
    clips = sorted(str(path) for path in (folder / "clips").glob("*.mp4"))[:41]
    print(f"{'measure':40s} value")
    for precision in ("float32", "auto"):
        base = [sys.executable, "-m", "physlab", "score", "--model", args.model, "--precision", precision]
        one = min(seconds(base + clips[:1]) for _ in range(args.repeats))
        many = min(seconds(base + clips) for _ in range(args.repeats))
        print(f"{f'process, 1 clip (s), {precision}':40s} {one:.2f}")
        print(f"{f'process, 41 clips (s), {precision}':40s} {many:.2f}")
        print(f"{f'marginal ms per clip, {precision}':40s} {(many - one) / 40 * 1000:.1f}")


if __name__ == "__main__":
    main()
