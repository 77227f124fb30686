"""Visibility: how far apart a model's representation puts the twins of a pair, against the pixels."""

import csv
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import TINY

from physlab.data.stimuli import write_stimuli
from physlab.model import build_model, save_model
from physlab.scenes.families import load_families
from physlab.voe.plots import plot_visibility
from physlab.voe.visibility import (
    motion_scale,
    pair_distances,
    pixel_cells,
    representation,
    set_visibility,
    summarise_visibility,
    twin_distance,
)


@pytest.fixture(scope="module")
def stimulus_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("set")
    write_stimuli(out, load_families("inertia,constancy", with_violations=True), 2, seed=11, size=48, progress=False)
    return out


def _ball(colour, frames=8, size=32):
    """A square crossing the view left to right, the same path in any colour."""
    video = np.zeros((frames, size, size, 3), np.uint8)
    for t in range(frames):
        video[t, 12:18, 2 + 3 * t : 8 + 3 * t] = colour
    return video


def test_distances_are_zero_for_the_same_clip_and_grow_with_a_change():
    clip = torch.rand(6, 4, 3, 3)
    assert twin_distance(clip, clip) == 0.0
    changed = clip.clone()
    changed[4, :, 1, 1] += 1.0
    assert twin_distance(clip, changed) == pytest.approx(1.0)
    assert motion_scale(clip[:1].expand(6, -1, -1, -1)) == 0.0  # a still clip does not move
    assert motion_scale(clip) > 0


def test_pixel_cells_hold_each_cells_pixels():
    frames = torch.rand(2, 3, 3, 16, 16)
    cells = pixel_cells(frames, 8)
    assert cells.shape == (2, 3, 3 * 64, 2, 2)
    assert torch.equal(cells[0, 1, :, 1, 0].reshape(3, 8, 8), frames[0, 1, :, 8:16, 0:8])


def test_a_recoloured_object_is_far_apart_in_pixels_and_the_same_path_is_not():
    model = build_model(TINY).eval()
    red, blue = _ball((255, 0, 0)), _ball((0, 0, 255))
    same = pair_distances(model, red, red)
    recoloured = pair_distances(model, red, blue)
    assert same[0] == 0.0 and same[2] == 0.0
    assert recoloured[2] > 0.1 and recoloured[0] > 0.0
    assert recoloured[1] == same[1] and recoloured[3] == same[3]  # the unit comes from the possible twin alone


def test_the_pixel_models_representation_is_its_pixels():
    model = build_model(TINY.model_copy(update={"kind": "pixel"})).eval()
    frames = torch.rand(1, 3, 3, 32, 32)
    assert torch.equal(representation(model, frames), pixel_cells(frames, 8))


def test_a_set_is_measured_per_concept_and_violation(stimulus_set):
    results, errors = set_visibility(stimulus_set, build_model(TINY).eval())
    assert not errors and len(results) == 4
    assert all(r.representation >= 0 and r.pixels > 0 for r in results)
    summary = summarise_visibility(results, "violation")
    assert {row["pairs"] for row in summary.values()} <= {1, 2, 3, 4} and sum(r["pairs"] for r in summary.values()) == 4
    assert set(summarise_visibility(results)) == {"inertia", "constancy"}


def test_a_broken_clip_is_one_error_and_the_rest_are_measured(stimulus_set, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(stimulus_set, broken)
    with open(broken / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    (broken / rows[0]["clip"]).write_bytes(b"corrupt")
    results, errors = set_visibility(broken, build_model(TINY).eval())
    assert len(results) == 3
    assert len(errors) == 1 and rows[0]["clip"] in errors[0]


def test_a_model_file_is_loaded_by_path(stimulus_set, tmp_path):
    path = tmp_path / "tiny.safetensors"
    save_model(path, build_model(TINY))
    by_path, _ = set_visibility(stimulus_set, str(path))
    in_memory, _ = set_visibility(stimulus_set, build_model(TINY).eval())
    assert [r.representation for r in by_path] == pytest.approx([r.representation for r in in_memory], rel=1e-4)


def test_the_plot_shows_pixels_and_each_model(stimulus_set, tmp_path):
    results, _ = set_visibility(stimulus_set, build_model(TINY).eval())
    summary = summarise_visibility(results, "violation")
    plot_visibility({"tiny": summary, "again": summary}, tmp_path / "visibility.png")
    assert (tmp_path / "visibility.png").stat().st_size > 1000


def test_cli_prints_the_table_and_writes_json_and_plot(stimulus_set, tmp_path):
    path = tmp_path / "tiny.safetensors"
    save_model(path, build_model(TINY))
    out = subprocess.run(
        [sys.executable, "-m", "physlab", "visibility", str(stimulus_set), "--model", str(path), "--by", "concept",
         "--json", str(tmp_path / "v.json"), "--plot", str(tmp_path / "v.png")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "constancy" in out.stdout and "pixels" in out.stdout
    assert out.stdout.splitlines()[0].split()[2] == "tiny"  # the model file's stem heads its column
    report = json.loads((tmp_path / "v.json").read_text())
    assert set(report["per_concept"]) == {"inertia", "constancy"} and len(report["pairs"]) == 4
    assert (tmp_path / "v.png").stat().st_size > 1000


def test_cli_names_a_missing_model_in_one_line(stimulus_set, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "physlab", "visibility", str(stimulus_set), "--model", str(tmp_path / "none.safetensors")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode != 0
    assert out.stderr.strip().splitlines() == [
        f"physlab: error: {tmp_path / 'none.safetensors'}: no such model file (bundled models: jepa, pixel, untrained)"
    ]
