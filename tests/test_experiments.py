"""Scripted experiments: validation, a real run (generate, train, score), outputs, reuse on a rerun."""

import csv
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import physlab.lab.experiments
from physlab.errors import PhyslabError
from physlab.lab.experiments import load_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[1]

TINY_EXPERIMENT = """
name: tiny_development
description: A tiny learner against the untrained encoder.
stimuli:
  - name: probe
    families: [solidity, gravity_drop]
    pairs: 2
    seed: 900
    size: 32
models:
  - untrained
  - name: learner
    train: {clips: 16, data_seed: 3, preset: tiny, steps: 6, checkpoints: 2}
measures: [pairwise_accuracy, auroc, peak_delay]
plots: [development, accuracy_by_concept, auroc_by_concept, aligned_curves, timing]
threshold: 0.5
"""


def _write(tmp_path, text, name="exp.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_experiments_are_valid(path):
    experiment = load_experiment(path)
    assert experiment.name == path.stem


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nstimuli: [{pairs: 1}]\nmodels: [jepa]\ncolour: red\n", "field colour: unknown field"),
        ("name: x\nstimuli: [{pairs: 0}]\nmodels: [jepa]\n", "field stimuli.0.pairs"),
        ("name: x\nstimuli: [{pairs: 1}]\nmodels: [{name: a}]\n", "needs exactly one of 'model'"),
        ("name: x\nstimuli: [{pairs: 1}]\nmodels: [jepa]\nplots: [development]\n", "development plot needs a model with 'train'"),
        ("name: x\nstimuli: [{pairs: 1}]\nmodels: [jepa]\nplots: [pie]\n", "field plots.0"),
        ("name: x\nstimuli: [{pairs: 1}]\nmodels: [jepa, jepa]\n", "model names must be unique"),
        ("[1, 2]\n", "must be a YAML mapping"),
        ("name: x\nstimuli: [{pairs: 1}, {pairs: 2}]\nmodels: [jepa]\n", "stimulus sets need distinct names"),
        ("name: ../x\nstimuli: [{pairs: 1}]\nmodels: [jepa]\n", "field name: .*names the results folder"),
        ("name: x\nstimuli: [{pairs: 1}]\nmodels: [{name: a, train: {preset: huge}}]\n", "unknown preset 'huge'"),
        ("name: x\nstimuli: [{pairs: 1}]\nmodels: [{name: a, train: {config: {lr: 1}}}]\n", "train.config.lr"),
    ],
)
def test_bad_experiment_files_name_the_field(tmp_path, text, message):
    with pytest.raises(PhyslabError, match=message) as caught:
        load_experiment(_write(tmp_path, text))
    assert str(tmp_path / "exp.yaml") in str(caught.value)


def test_a_bad_file_is_one_line_on_stderr(tmp_path):
    path = _write(tmp_path, "name: x\nstimuli: [{pairs: 1}]\nmodels: [jepa]\nmesures: []\n")
    result = subprocess.run(
        [sys.executable, "-m", "physlab", "experiment", "run", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"physlab: error: {path}: field mesures: unknown field"]


@pytest.mark.slow
def test_an_experiment_runs_end_to_end_and_a_rerun_reuses_its_work(tmp_path, monkeypatch):
    path = _write(tmp_path, TINY_EXPERIMENT)
    out = tmp_path / "results"
    messages = []
    result = run_experiment(path, out, progress=False, on_progress=lambda text, done: messages.append((text, done)))
    scoring = [(text, done) for text, done in messages if text.endswith(" clips")]
    assert scoring and scoring[-1][0].endswith("8/8 clips")  # the last set: 2 families x 2 pairs x 2 twins
    assert [done for _, done in messages] == sorted(done for _, done in messages)

    summary = json.loads((out / "summary.json").read_text())
    checkpoints = [(r["model"], r["checkpoint"]) for r in summary["results"]]
    assert checkpoints == [("untrained", "final"), ("learner", "step 3"), ("learner", "step 6")]
    assert [r["clips_seen"] for r in summary["results"]] == [None, 12, 24]  # tiny preset: 4 clips a step
    assert set(summary["acquisition"]["learner · probe"]) == {"solidity", "gravity"}
    with open(out / "table.csv") as handle:
        table = list(csv.DictReader(handle))
    assert {row["concept"] for row in table} == {"solidity", "gravity", "overall"}
    assert "peak_delay_median_s" in table[0]
    overall = next(row for row in table if row["concept"] == "overall" and row["checkpoint"] == "step 6")
    assert float(overall["pairwise_low"]) <= float(overall["pairwise_accuracy"]) <= float(overall["pairwise_high"])
    with open(out / "clips.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 3 * 2 * 2 * 2  # checkpoints x families x pairs x twins
    report = result.report.read_text()
    for image in [line.split("(")[1].rstrip(")") for line in report.splitlines() if line.startswith("![")]:
        assert (out / image).exists() and (out / image).with_suffix(".svg").exists()
    assert "development_learner" in report and "timing" in report and "Age of acquisition" in report
    # The learner's last checkpoint against the first model, pair by pair on the same 4 pairs.
    [paired] = summary["paired"]
    assert (paired["model"], paired["against"], paired["set"], paired["groups"]) == ("learner", "untrained", "probe", 4)
    assert paired["better"] + paired["worse"] <= 4 and 0 <= paired["p_value"] <= 1
    final = {r["model"]: r["summary"]["pairwise_accuracy"] for r in summary["results"] if r["checkpoint"] in ("final", "step 6")}
    assert paired["difference"] == pytest.approx(final["learner"] - final["untrained"])
    assert "## Paired with untrained, on the same pairs" in report

    def no_scoring(*args, **kwargs):
        raise AssertionError("a rerun must reuse the evaluations it already has")

    monkeypatch.setattr(physlab.lab.experiments, "evaluate", no_scoring)
    again = run_experiment(path, out, progress=False)
    assert again.summary["results"] == json.loads(json.dumps(summary["results"]))


def test_an_evaluation_of_a_bundled_name_is_redone_when_its_file_changes(tmp_path, monkeypatch):
    """A new bundled model replaces the file behind the name: results kept for the old one must not be reused."""
    import physlab.model.checkpoint
    from physlab.model import ModelConfig, build_model, save_model

    monkeypatch.setattr(physlab.model.checkpoint, "BUNDLED_DIR", tmp_path)
    config = ModelConfig(image_size=32, latent_dim=8, channels=(8, 8, 8), context=2, predictor_width=8, predictor_blocks=1)
    save_model(tmp_path / "jepa.safetensors", build_model(config, seed=1))
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "manifest.csv").write_text("clip,pair,label\n")
    scored = []

    def counting(set_folder, model, pool, **options):  # options: the progress callback
        scored.append(model)
        return SimpleNamespace(summary={"pairwise_accuracy": 0.5}, clips=[], curves={})

    monkeypatch.setattr(physlab.lab.experiments, "evaluate", counting)
    checkpoint = {"model": "jepa", "checkpoint": "final", "path": "jepa"}
    for _ in range(2):
        physlab.lab.experiments._evaluation(checkpoint, "probe", folder, "max", tmp_path / "out")
    assert len(scored) == 1
    save_model(tmp_path / "jepa.safetensors", build_model(config, seed=2))
    physlab.lab.experiments._evaluation(checkpoint, "probe", folder, "max", tmp_path / "out")
    assert len(scored) == 2
