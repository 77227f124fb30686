"""Designing stimuli (knobs, pinning, export) and scoring uploads (loose files, zipped sets)."""

import dataclasses
import io
import zipfile

import numpy as np
import pytest

import physlab
from physlab.data.video import encode_mp4
from physlab.errors import PhyslabError
from physlab.lab.designer import drawn_values, export_zip, family_yaml, fix, knobs
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
    assert designed.objects[1].velocity[0] == (2.25, 2.25)  # a range of one value: still drawn, always 2.25
    assert velocity.label not in {k.label for k in knobs(designed)}
    for seed in (0, 1):
        assert physlab.sample_scene(designed, seed).objects[1].velocity[0] == 2.25
    path = tmp_path / "designed.yaml"
    path.write_text(family_yaml(designed))
    assert family_yaml(designed).startswith("# Pinned parameters are ranges of one value")
    assert physlab.load_family(path).objects[1].velocity[0] == (2.25, 2.25)


def test_pinning_one_parameter_keeps_every_other_as_the_seed_drew_it():
    family = physlab.load_family("support_car")
    velocity = next(k for k in knobs(family) if k.label == "car · velocity x")
    for seed in (0, 7):
        drawn = physlab.sample_scene(family, seed)
        pinned = physlab.sample_scene(fix(family, {velocity.path: 2.39}), seed)
        car = dataclasses.replace(drawn.objects[1], velocity=(2.39, *drawn.objects[1].velocity[1:]))
        assert pinned == dataclasses.replace(drawn, objects=(drawn.objects[0], car))
        values, after = drawn_values(family, drawn), drawn_values(family, pinned)
        assert {k: v for k, v in after.items() if k != velocity.path} == {k: v for k, v in values.items() if k != velocity.path}


def test_pinning_a_parameter_to_the_value_drawn_gives_the_very_same_pair():
    family = physlab.load_family("support_car")
    pair = physlab.make_pair(family, 0, size=32)
    values = drawn_values(family, pair.possible.scene)
    mass = next(k for k in knobs(family) if k.label == "car · mass")
    assert values[mass.path] == pair.possible.scene.objects[1].mass
    assert mass.low <= values[mass.path] <= mass.high
    again = physlab.make_pair(fix(family, {mass.path: values[mass.path]}), 0, size=32)
    assert again.onset_frame == pair.onset_frame
    assert np.array_equal(again.impossible.frames, pair.impossible.frames)


def test_knobs_have_units():
    units = {knob.label: knob.unit for knob in knobs(physlab.load_family("support_car"))}
    assert units["car · velocity x"] == "m/s" and units["car · mass"] == "kg" and units["car · size"] == "m"
    assert units["camera · yaw"] == "°" and units["camera · distance"] == "m"


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
