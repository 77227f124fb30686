"""The smallest object a model still sees in a wide frame: a ball rolls behind a screen in a 600x400 view (as in
other labs' released room renders) and, in the impossible twin, never comes out; the ball's diameter in source
pixels goes from 2 to 32. Pairwise accuracy per diameter, with the whole frame letterboxed to the model's size,
and with a manifest-style crop of the event's region (`crop` column: 'x y width height' in source pixels).

    python benchmarks/bench_resolution.py [--model jepa] [--pairs 12]

The scenes are drawn with numpy (a two-tone room, a screen, a shaded ball), a look no model here was trained on;
each pair is written as H.264 at 24 fps into benchmarks/data/resolution_*/ with a manifest, and scored with
`physlab.evaluate`, exactly as a user's set would be.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from physlab.data.video import write_mp4
from physlab.files import write_csv
from physlab.model import load_model
from physlab.voe.metrics import interval_text
from physlab.voe.surprise import evaluate

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT, FPS, SECONDS = 600, 400, 24, 2.5
DIAMETERS = (2, 3, 4, 6, 8, 12, 16, 24, 32)
CROP = (150, 100, 300, 200)  # the middle of the room, where the event happens


def scene(diameter: int, rng: np.random.Generator, vanish: bool) -> np.ndarray:
    """(T, 400, 600, 3) uint8: a ball rolling left to right behind a screen; with `vanish` it never comes out."""
    frames = int(FPS * SECONDS)
    floor, wall = rng.uniform(0.25, 0.6, 3), rng.uniform(0.55, 0.9, 3)
    base = np.empty((HEIGHT, WIDTH, 3))
    horizon = int(HEIGHT * rng.uniform(0.45, 0.55))
    base[:horizon], base[horizon:] = wall, floor
    base += rng.normal(0, 0.02, base.shape)
    screen_x = int(WIDTH * rng.uniform(0.42, 0.5))
    screen_w = max(3 * diameter, int(WIDTH * 0.1))
    y = horizon + int((HEIGHT - horizon) * 0.35)
    screen_top, screen_colour = y - max(2 * diameter, 40), rng.uniform(0.1, 0.9, 3)
    ball_colour = rng.uniform(0.0, 1.0, 3)
    start, speed = WIDTH * 0.3, WIDTH * rng.uniform(0.14, 0.18)  # px per second
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    video = np.empty((frames, HEIGHT, WIDTH, 3), np.uint8)
    for t in range(frames):
        frame = base.copy()
        x = start + speed * t / FPS
        hidden = vanish and x > screen_x
        if not hidden:
            ball = (xx - x) ** 2 + (yy - y) ** 2 <= (diameter / 2) ** 2
            frame[ball] = ball_colour
        frame[screen_top : y + diameter, screen_x : screen_x + screen_w] = screen_colour
        video[t] = np.clip(frame * 255, 0, 255).astype(np.uint8)
    return video


def write_set(folder: Path, diameter: int, pairs: int, crop: bool) -> Path:
    """A stimulus set of `pairs` vanish pairs at one diameter (written once, then reused)."""
    if (folder / "manifest.csv").exists():
        return folder
    rows = []
    for index in range(pairs):
        for label, vanish in (("possible", False), ("impossible", True)):
            clip = f"clips/ball_{index:02d}_{label}.mp4"
            write_mp4(folder / clip, scene(diameter, np.random.default_rng([diameter, index]), vanish), FPS)
            row = {"clip": clip, "pair": f"ball_{index:02d}", "label": label, "concept": "permanence"}
            rows.append(row | ({"crop": " ".join(map(str, CROP))} if crop else {}))
    write_csv(folder / "manifest.csv", rows)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--model", default="jepa")
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    model = load_model(args.model)
    print(f"{args.model}: a ball rolls behind a screen in a {WIDTH}x{HEIGHT} frame and, in the impossible twin, stays there")
    print(f"{'diameter px':>12s} {'model px':>9s} {'whole frame':>12s} {'95%':>9s} {'crop':>6s} {'95%':>9s}")
    results = []
    for diameter in DIAMETERS:
        row = {"diameter": diameter, "model_px": round(diameter * model.config.image_size / WIDTH, 2)}
        for crop in (False, True):
            folder = HERE / "data" / f"resolution_{diameter}_{args.pairs}{'_crop' if crop else ''}"
            summary = evaluate(write_set(folder, diameter, args.pairs, crop), model).summary
            key = "crop" if crop else "whole"
            row[key], row[f"{key}_interval"] = summary["pairwise_accuracy"], summary["pairwise_interval"]
        results.append(row)
        print(
            f"{diameter:12d} {row['model_px']:9.2f} {row['whole']:12.2f} {interval_text(row['whole_interval']):>9s} "
            f"{row['crop']:6.2f} {interval_text(row['crop_interval']):>9s}"
        )
    seen = [r["diameter"] for r in results if r["whole"] >= 0.8]
    print(f"smallest diameter at >= 0.80 on the whole frame: {min(seen) if seen else 'none'} px of the source")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"resolution_{Path(args.model).stem}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
