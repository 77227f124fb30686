"""The command line: bad input gives one line on stderr, no traceback, a non-zero exit."""

import subprocess
import sys

import pytest

from physlab.cli import main


def _run(*args):
    return subprocess.run([sys.executable, "-m", "physlab", *args], capture_output=True, text=True, timeout=300)


def test_families_lists_every_family():
    result = _run("families")
    assert result.returncode == 0
    assert "support_car" in result.stdout and "permanence_appear" in result.stdout


def test_invalid_scene_file_is_one_line_naming_file_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nconcept: support\nobjects:\n  - name: car\n    shape: truck\n")
    result = _run("stimuli", str(tmp_path / "out"), "--pairs", "1", "--scenes", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert str(bad) in lines[0] and "objects.0.shape" in lines[0] and "racecar" in lines[0]


def test_a_family_without_violations_has_no_pairs(tmp_path):
    result = _run("stimuli", str(tmp_path / "out"), "--pairs", "1", "--scenes", "freeplay")
    assert result.returncode == 2 and "declares no violations" in result.stderr


def test_one_bad_family_does_not_stop_the_others(tmp_path):
    impossible_to_show = tmp_path / "never.yaml"
    impossible_to_show.write_text(
        "name: never\nconcept: gravity\nobjects:\n  - name: ball\n    shape: sphere\n    size: 0.2\n"
        "violations:\n  - name: hover\n    edit: freeze\n    target: ball\n    onset: {detector: apex}\n"
    )
    out = tmp_path / "out"
    result = _run("stimuli", str(out), "--pairs", "1", "--scenes", f"inertia,{impossible_to_show}", "--size", "32", "--quiet")
    assert result.returncode == 1
    assert "never.yaml" in result.stderr and "Traceback" not in result.stderr
    manifest = (out / "manifest.csv").read_text()
    assert "inertia_000000_possible" in manifest and "never" not in manifest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "x", "--clips", "0"], "must be at least 1"),
        (["plan", "--world", "two_rooms", "--samples", "abc"], "--samples: must be a whole number, got 'abc'"),
        (["plan", "--world", "two_rooms", "--samples", "1"], "--samples: must be at least 2, got 1"),
        (["stimuli", "x", "--pairs", "1", "--size", "33"], "even number of pixels"),
        (["stimuli", "x", "--pairs", "1", "--frames", "4"], "at least 8 frames"),
    ],
)
def test_bad_arguments_are_refused(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_shard_spec(tmp_path, capsys):
    assert main(["generate", str(tmp_path), "--clips", "1", "--shard", "3/2"]) == 2
    assert "need 0 <= i < N" in capsys.readouterr().err


def test_scripts_written_against_the_old_module_names_still_import():
    import importlib
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = importlib.import_module("physlab.uploads")
    new = importlib.import_module("physlab.lab.uploads")
    assert old is new
    assert any("physlab.lab.uploads" in str(w.message) for w in caught)
