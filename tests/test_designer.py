"""Designing stimuli (knobs, pinning, export) and scoring uploads (loose files, zipped sets)."""

import io
import zipfile

import numpy as np
import pytest

import physlab
from physlab.data.video import encode_mp4
from physlab.errors import PhyslabError
from physlab.lab.designer import export_zip, family_yaml, fix, knobs
from physlab.lab.uploads import evaluate_zip, score_files, unpack_stimulus_set
from physlab.model import load_model


def test_knobs_are_the_ranges_of_objects_and_camera():
    family = physlab.load_family("support_car")
    found = {knob.label: (knob.low, knob.high) for knob in knobs(family)}
    assert found["car · velocity x"] == (2.0, 2.4)
    assert found["platform · size z"] == (0.25, 0.36)
    assert found["camera · yaw"] == (-12.0, 12.0)
    assert not any("count" in label or "friction" in label for label in found)


def test_pinned_values_reach_every_clip(tmp_path):
    family = physlab.load_family("support_car")
    velocity = next(k for k in knobs(family) if k.label == "car · velocity x")
    designed = fix(family, {velocity.path: 2.25})
    assert designed.objects[1].velocity[0] == 2.25
    assert velocity.label not in {k.label for k in knobs(designed)}
    for seed in (0, 1):
        assert physlab.sample_scene(designed, seed).objects[1].velocity[0] == pytest.approx(2.25)
    path = tmp_path / "designed.yaml"
    path.write_text(family_yaml(designed))
    assert physlab.load_family(path).objects[1].velocity[0] == 2.25


def test_an_impossible_pin_is_a_clear_error():
    family = physlab.load_family("support_car")
    size = next(k for k in knobs(family) if k.label == "car · size")
    with pytest.raises(PhyslabError, match="invalid family"):
        fix(family, {size.path: 0.0})


def test_export_is_a_complete_stimulus_set():
    data = export_zip(physlab.load_family("inertia"), 2, seed=4, size=32)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "inertia/manifest.csv" in names and "inertia/inertia.yaml" in names
    assert sum(name.endswith(".mp4") for name in names) == 4


def test_uploads_score_good_files_and_name_bad_ones():
    clip = physlab.make_clip(physlab.load_family("gravity_drop"), 1, size=32)
    good = encode_mp4(clip.frames, clip.fps)
    short = encode_mp4(clip.frames[:2], clip.fps)
    curves, errors = score_files([("a.mp4", good), ("bad.webm", b"junk"), ("short.mp4", short)], load_model("untrained"))
    assert [curve.name for curve in curves] == ["a.mp4"]
    assert len(errors) == 2 and errors[0].startswith("bad.webm") and "short.mp4" in errors[1]
    assert np.isfinite(curves[0].values[2:]).all()


def test_a_zip_cannot_write_outside_its_folder(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.txt", "x")
    with pytest.raises(PhyslabError, match="points outside the set"):
        unpack_stimulus_set(buffer.getvalue(), tmp_path / "in", "evil.zip")
    assert not (tmp_path / "evil.txt").exists()


def test_a_zip_without_a_manifest_is_named():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("clips/a.mp4", "x")
    with pytest.raises(PhyslabError, match="holds no manifest.csv"):
        evaluate_zip(buffer.getvalue(), load_model("untrained"), "set.zip")


def test_a_zipped_set_is_evaluated_and_errors_name_the_zip():
    data = export_zip(physlab.load_family("solidity"), 2, size=32)
    archive = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as damaged:
        for name in archive.namelist():
            damaged.writestr(name, b"broken" if name.endswith("000000_possible.mp4") else archive.read(name))
    evaluation = evaluate_zip(buffer.getvalue(), load_model("untrained"), "set.zip")
    assert evaluation.summary["pairs"] == 1
    assert evaluation.errors and all(error.startswith("set.zip") for error in evaluation.errors)
