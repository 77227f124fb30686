"""Stimulus sets on disk: the manifest contract, playable H.264 clips, resume, one writer."""

import csv
import json
import subprocess

import cv2
import imageio_ffmpeg
import numpy as np
import pytest

from physlab.data.stimuli import write_stimuli
from physlab.errors import PhyslabError
from physlab.files import exclusive_folder
from physlab.scenes.families import load_families

FAMILIES = "support_car,permanence_vanish"


@pytest.fixture(scope="module")
def stimulus_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("set")
    report = write_stimuli(out, load_families(FAMILIES, with_violations=True), 2, seed=3, size=64, workers=2, progress=False)
    return out, report


def _rows(out):
    with open(out / "manifest.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_manifest_follows_the_contract(stimulus_set):
    out, report = stimulus_set
    assert report.made == 4 and not report.errors
    rows = _rows(out)
    assert len(rows) == 8
    assert {"clip", "pair", "label", "concept", "family", "seed", "onset_frame"} <= set(rows[0])
    pairs = {}
    for row in rows:
        pairs.setdefault(row["pair"], set()).add(row["label"])
        assert (out / row["clip"]).exists()
    assert all(labels == {"possible", "impossible"} for labels in pairs.values())
    assert {row["concept"] for row in rows} == {"support", "permanence"}
    assert {row["seed"] for row in rows} == {"3", "4"}


def test_clips_are_h264_with_every_frame(stimulus_set):
    out, _ = stimulus_set
    clip = out / _rows(out)[0]["clip"]
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(clip)], capture_output=True, text=True)
    assert "Video: h264" in probe.stderr and "yuv420p" in probe.stderr
    video = cv2.VideoCapture(str(clip))
    frames = []
    while True:
        ok, frame = video.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == 48 and frames[0].shape == (64, 64, 3)


def test_metadata_and_masks_sit_beside_each_clip(stimulus_set):
    out, _ = stimulus_set
    row = next(r for r in _rows(out) if r["label"] == "impossible")
    stem = row["clip"].removeprefix("clips/").removesuffix(".mp4")
    meta = json.loads((out / "meta" / f"{stem}.json").read_text())
    assert meta["onset_frame"] == int(row["onset_frame"])
    assert meta["scene"]["family"] == row["family"]
    with np.load(out / "masks" / f"{stem}.npz") as masks:
        assert masks["masks"].shape == (48, 64, 64)
        assert list(masks["objects"]) == meta["objects"]


def test_running_again_reuses_finished_pairs_and_adds_new_ones(stimulus_set):
    out, _ = stimulus_set
    before = (out / "manifest.csv").read_bytes()
    again = write_stimuli(out, load_families(FAMILIES, with_violations=True), 2, seed=3, size=64, workers=1, progress=False)
    assert (again.made, again.reused) == (0, 4)
    assert (out / "manifest.csv").read_bytes() == before
    more = write_stimuli(out, load_families("support_car", with_violations=True), 3, seed=3, size=64, workers=1, progress=False)
    assert (more.made, more.reused) == (1, 2)
    assert len(_rows(out)) == 10


def test_a_folder_made_at_another_size_is_refused(stimulus_set):
    out, _ = stimulus_set
    with pytest.raises(PhyslabError, match="size was 64, now 32"):
        write_stimuli(out, load_families("support_car", with_violations=True), 1, seed=3, size=32, progress=False)


def test_two_writers_cannot_share_a_folder(tmp_path):
    with exclusive_folder(tmp_path), pytest.raises(PhyslabError, match="another physlab run"):
        write_stimuli(tmp_path, load_families("inertia", with_violations=True), 1, progress=False)
