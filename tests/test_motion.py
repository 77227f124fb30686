"""Cropping to where a clip moves (physlab/data/motion.py, `physlab evaluate --crop motion`)."""

import csv
import json
import subprocess
import sys

import numpy as np

from physlab.data.motion import MIN_SIDE, motion_crop, motion_input, motion_region, read_motion_region
from physlab.data.video import ModelInput, read_video, video_from_frames

SPEC = ModelInput(fps=12.0, size=64)


def rolling_ball(width=600, height=400, x_from=250, x_to=350, y=190, diameter=8, stop_at=None, frames=24):
    """A small ball rolling across a still, grey room: (T, H, W, 3) uint8."""
    clip = np.full((frames, height, width, 3), 90, np.uint8)
    for t in range(frames):
        shown = t if stop_at is None else min(t, stop_at)
        x = int(x_from + (x_to - x_from) * shown / (frames - 1))
        clip[t, y : y + diameter, x : x + diameter] = 230
    return clip


def region_of(frames, fps=24.0):
    return motion_region(video_from_frames("clip", frames, fps, motion_input(SPEC)))


def test_the_region_holds_the_balls_path_in_source_pixels():
    region = region_of(rolling_ball())
    assert region.source_w == 600 and region.source_h == 400
    assert 235 <= region.x <= 255 and 345 <= region.x + region.w <= 372  # the path: x 250 to 358
    assert 175 <= region.y <= 192 and 195 <= region.y + region.h <= 212
    x, y, w, h = motion_crop([region])
    assert w == h >= MIN_SIDE * 400 and x <= 250 and x + w >= 358 and y <= 190 and y + h >= 198
    assert x >= 0 and x + w <= 600 and y >= 0 and y + h <= 400


def test_twins_are_cropped_alike_to_the_union_of_their_motion():
    goes_on, stops = region_of(rolling_ball(x_from=100, x_to=400)), region_of(rolling_ball(x_from=100, x_to=400, stop_at=8))
    assert stops.w < goes_on.w
    assert motion_crop([goes_on, stops]) == motion_crop([stops, goes_on]) == motion_crop([goes_on])


def test_no_crop_when_nothing_moves_the_whole_view_moves_or_the_twins_differ_in_size():
    assert region_of(np.full((24, 400, 600, 3), 90, np.uint8)) is None
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (400, 1200, 3), dtype=np.uint8)
    pan = np.stack([texture[:, 10 * t : 10 * t + 600] for t in range(24)])  # the camera pans over a textured wall
    assert motion_crop([region_of(pan)]) is None
    small = region_of(rolling_ball(width=300, height=200, x_from=100, x_to=150, y=90))
    assert motion_crop([region_of(rolling_ball()), small]) is None and motion_crop([None]) is None


def test_a_small_ball_is_larger_in_the_model_picture_after_the_crop(tmp_path):
    path = tmp_path / "room.npz"
    np.savez(path, frames=rolling_ball(), fps=np.float32(24))
    box = motion_crop([read_motion_region(path, SPEC)])
    whole, cropped = read_video(path, SPEC).frames, read_video(path, SPEC, crop=box).frames
    assert (cropped[0] > 150).sum() > 4 * max(1, (whole[0] > 150).sum())


def test_evaluate_crops_to_motion_where_the_manifest_gives_no_crop(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    rows = []
    for pair, given in (("a", ""), ("b", "0 0 600 400")):
        for label, stop in (("possible", None), ("impossible", 10)):
            np.savez(clips / f"{pair}_{label}.npz", frames=rolling_ball(stop_at=stop), fps=np.float32(24))
            clip = f"clips/{pair}_{label}.npz"
            rows.append({"clip": clip, "pair": pair, "label": label, "concept": "continuity", "crop": given})
    with open(tmp_path / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    json_path = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, "-m", "physlab", "evaluate", str(tmp_path), "--crop", "motion", "--json", str(json_path), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(json_path.read_text())
    assert summary["crop"] == "motion" and summary["motion_cropped"] == 2  # pair b keeps the manifest's crop
    assert "2 clips cropped to where their pair moves" in result.stdout
