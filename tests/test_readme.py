"""Every command the README shows runs, in the README's order, on tiny data.

The commands are read from README.md's bash blocks, not copied here, so a command added to the
README is run too. To fit a test they are shrunk, and only so: `--pairs` 1, `--clips` 8, two
families and 32 px for `stimuli` and `generate` (solidity, which `score` reads, and inertia),
`--episodes` 2, a budget of 10 env steps and 2 iterations for `plan` (episodes with actions keep their world),
`train` runs 2 steps (an explicit `--steps` 4), and the experiment files are copies with one
pair in each stimulus set. The Python block runs as it is, and so does `python docs/figure.py`
(to a temporary file).
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"```(bash|python)\n(.*?)```", re.S)

pytestmark = pytest.mark.slow


def readme_blocks(language: str) -> list[str]:
    return [body for kind, body in BLOCK.findall(README) if kind == language]


def readme_commands() -> list[str]:
    """The command lines of the README's bash blocks, comments dropped."""
    lines = [line.split("  #")[0].strip() for block in readme_blocks("bash") for line in block.splitlines()]
    return [line for line in lines if line]


def shrunk(words: list[str]) -> list[str]:
    """A README command made small enough for a test (the rules in this module's docstring)."""
    words = list(words)
    for option, small in (("--pairs", "1"), ("--clips", "8"), ("--episodes", "2")):
        if option in words:
            words[words.index(option) + 1] = small
    if words[1] in ("stimuli", "generate"):
        words += ["--quiet"] if "--actions" in words else ["--scenes", "solidity,inertia", "--size", "32", "--quiet"]
    if words[1] == "plan":  # two CEM iterations: the pixel-space planner takes a minute and more a plan at ten
        words += ["--steps", "10", "--iterations", "2", "--quiet"]
    if words[1] == "train":
        if "--steps" in words:
            words[words.index("--steps") + 1] = "4"
        else:
            words += ["--steps", "2"]
        words += ["--device", "cpu", "--quiet"]
    return words


def test_the_readme_shows_only_commands_that_are_tested():
    commands = readme_commands()
    assert {line for line in commands if not line.startswith("physlab ")} == {"make demo", "make test"}  # test_demo.py
    assert len([line for line in commands if line.startswith("physlab ")]) >= 10


def test_every_readme_command_runs_in_order_on_tiny_data(tmp_path):
    (tmp_path / "experiments").mkdir()
    for path in (ROOT / "experiments").glob("*.yaml"):
        experiment = yaml.safe_load(path.read_text())
        for stimuli in experiment["stimuli"]:
            stimuli["pairs"] = 1
        (tmp_path / "experiments" / path.name).write_text(yaml.safe_dump(experiment, sort_keys=False))
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    for line in [line for line in readme_commands() if line.startswith("physlab ")]:
        words = shrunk(shlex.split(line))
        words = [match for word in words for match in (sorted(glob.glob(word, root_dir=tmp_path)) if "*" in word else [word])]
        result = subprocess.run(
            [sys.executable, "-m", *words], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, f"{line}\n{' '.join(words)}\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}"
        if words[1] == "train" and "--resume" in words:
            assert "resuming my_run at step" in result.stdout, result.stdout
    for made in ("curves.csv", "curves.png", "summary.json", "clips.csv", "plots", "results/car/report.md"):
        assert (tmp_path / made).exists(), made
    assert (tmp_path / "my_pixel_run" / "model.safetensors").exists()


def test_the_readme_python_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (code,) = readme_blocks("python")
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "api_set" / "manifest.csv").exists()


def test_the_readme_picture_is_drawn_by_the_command_it_names(tmp_path):
    assert "python docs/figure.py" in README and "(docs/pair.png)" in README
    result = subprocess.run(
        [sys.executable, "docs/figure.py", "--out", str(tmp_path / "pair.png")], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-1500:]
    assert (tmp_path / "pair.png").stat().st_size > 10_000
