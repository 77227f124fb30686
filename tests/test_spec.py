import dataclasses
from pathlib import Path

import pytest

from physlab.errors import PhyslabError
from physlab.scenes import violations
from physlab.scenes.families import family_names, load_families, load_family
from physlab.scenes.onsets import DETECTORS
from physlab.scenes.spec import DETECTORS as DETECTOR_NAMES
from physlab.scenes.spec import EDITS as EDIT_NAMES
from physlab.scenes.spec import load_family_file, sample_scene

GOOD = """
name: tiny
concept: gravity
objects:
  - name: ball
    shape: sphere
    size: [0.1, 0.2]
    position: [0.0, 0.0, 0.5]
violations:
  - name: hovers
    edit: freeze
    target: ball
    onset: {detector: frame, frame: [3, 5]}
"""


def _write(tmp_path, text):
    path = tmp_path / "family.yaml"
    path.write_text(text)
    return path


def test_every_bundled_family_loads_with_a_concept():
    names = family_names()
    assert len(names) >= 9
    concepts = {load_family(name).concept for name in names}
    assert {"support", "gravity", "permanence", "continuity", "constancy", "solidity"} <= concepts
    assert len(concepts - {"free_play"}) >= 8


def test_registries_match_the_schema():
    assert set(violations.EDITS) == set(EDIT_NAMES)
    assert set(DETECTORS) == set(DETECTOR_NAMES)


def test_stimulus_families_exclude_free_play():
    names = {family.name for family in load_families(with_violations=True)}
    assert "freeplay" not in names and "support_car" in names


def test_sampling_is_a_pure_function_of_the_seed(tmp_path):
    family = load_family_file(_write(tmp_path, GOOD))
    assert sample_scene(family, 7) == sample_scene(family, 7)
    assert sample_scene(family, 7) != sample_scene(family, 8)
    scene = sample_scene(family, 7)
    assert 0.1 <= scene.objects[0].size[0] <= 0.2
    assert scene.violation.frame in (3, 4, 5)


def test_count_expands_objects():
    scene = sample_scene(load_family("freeplay"), 3)
    items = [obj.name for obj in scene.objects if obj.name.startswith("item_")]
    assert 2 <= len(items) <= 4


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("shape: sphere", "shape: cube"), "field objects.0.shape"),
        (("size: [0.1, 0.2]", "size: [0.3, 0.2]"), "low end above its high end"),
        (("target: ball", "target: bal"), "violations.0.target: 'bal' is not a single object"),
        (("edit: freeze", "edit: explode"), "field violations.0.edit"),
        (("{detector: frame, frame: [3, 5]}", "{detector: frame}"), "needs the field 'frame'"),
        (
            ("concept: gravity", "concept: gravity\ncolour: red"),
            "field colour: unknown field; allowed here: name, concept, description",
        ),
        (("position: [0.0, 0.0, 0.5]", "position: [0.0, 0.0, 0.5]\n    color: plaid"), "unknown colour 'plaid'"),
        (("name: tiny", "name: [tiny"), "not valid YAML at line"),
        (
            ("    shape: sphere", "    shape: sphere\n    Mass: 2"),
            "field objects.0.Mass: unknown field; allowed here: name, shape, size",
        ),
        (("size: [0.1, 0.2]", "size: [-0.1, 0.2]"), "field objects.0: size must be above 0"),
        (("    shape: sphere", "    shape: sphere\n    count: [3, 1]"), "count must be a number of copies"),
        (("    shape: sphere", "    shape: sphere\n    count: 2"), "'ball' is not a single object"),
    ],
)
def test_bad_fields_name_the_file_the_field_and_what_is_allowed(tmp_path, change, expected):
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(PhyslabError) as err:
        load_family_file(path)
    message = str(err.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_unknown_shape_lists_the_allowed_ones(tmp_path):
    with pytest.raises(PhyslabError, match="racecar"):
        load_family_file(_write(tmp_path, GOOD.replace("shape: sphere", "shape: cube")))


def test_missing_family_lists_bundled_ones():
    with pytest.raises(PhyslabError, match="support_car"):
        load_family("no_such_family")


def test_concrete_scene_is_plain_data(tmp_path):
    scene = sample_scene(load_family_file(_write(tmp_path, GOOD)), 1)
    assert dataclasses.asdict(scene)["objects"][0]["shape"] == "sphere"


def test_two_families_with_one_name_are_refused(tmp_path):
    copy = tmp_path / "copy.yaml"
    copy.write_text(Path(load_family("inertia").source).read_text())
    with pytest.raises(PhyslabError, match="names must be unique"):
        load_families(f"inertia,{copy}")


def test_reshape_params_are_checked(tmp_path):
    text = GOOD.replace("edit: freeze", "edit: reshape").replace(
        "onset: {detector: frame, frame: [3, 5]}", "onset: {detector: frame, frame: 3}\n    params: {shapes: [duck]}"
    )
    with pytest.raises(PhyslabError, match="params.shapes must be a list drawn from box, sphere, cylinder"):
        load_family_file(_write(tmp_path, text))
    with pytest.raises(PhyslabError, match="takes no parameter"):
        load_family_file(
            _write(
                tmp_path,
                GOOD.replace(
                    "onset: {detector: frame, frame: [3, 5]}", "onset: {detector: frame, frame: 3}\n    params: {speed: 2}"
                ),
            )
        )
