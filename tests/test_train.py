"""Training from the command line: every preset runs, and a run folder resumes from itself alone."""

import json

import pytest
import torch

import physlab.train.loop
from physlab.cli import main
from physlab.control.data import write_action_set
from physlab.data.shards import write_training_set
from physlab.errors import PhyslabError
from physlab.model import load_model, load_train_config
from physlab.model.checkpoint import model_info
from physlab.model.config import PRESETS
from physlab.scenes.families import load_families
from physlab.train.loop import read_run, train


def _train(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["train", *args, "--quiet", "--device", "cpu"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_builds_validates_and_trains(preset, tiny_data, tmp_path, capsys):
    """Each preset as the README gives it (the colour channel on the bundled JEPA), for two steps."""
    run = tmp_path / preset
    init = ["--init", "jepa"] if PRESETS[preset].get("parts") == "colour" else []
    code, out, err = _train(capsys, "--data", str(tiny_data), "--out", str(run), "--preset", preset, "--steps", "2", *init)
    assert code == 0, err
    assert "trained for 2 steps" in out
    model = load_model(run)
    assert model.config == load_train_config(preset=preset, overrides={"init": "jepa"} if init else None).model
    assert model_info(run / "model.safetensors")["step"] == 2


def test_resume_needs_only_the_run_folder_and_says_what_it_resumes(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(capsys, "--data", str(tiny_data), "--out", str(run), "--preset", "tiny", "--steps", "4")[0] == 0
    recorded = read_run(run)
    assert (recorded.step, recorded.config.steps, recorded.source) == (4, 4, "preset tiny")
    assert recorded.data == str(tiny_data.resolve())

    code, out, err = _train(capsys, "--out", str(run), "--resume", "--steps", "6")  # no preset, no data
    assert code == 0, err
    assert f"resuming {run} at step 4 of 6 (preset tiny; data {tiny_data.resolve()})" in out
    assert "trained for 6 steps" in out
    assert model_info(run / "model.safetensors")["step"] == 6

    code, out, _ = _train(capsys, "--out", str(run), "--resume")  # finished: the step count it reached
    assert code == 0
    assert "at step 6 of 6" in out and "trained for 6 steps" in out

    code, out, _ = _train(capsys, "--out", str(run), "--resume", "--preset", "tiny", "--steps", "7")
    assert code == 0 and "trained for 7 steps" in out  # an explicit --steps wins over the preset's 20


def test_seed_gives_another_run_of_the_same_recipe(tiny_data, tmp_path, capsys):
    runs = {seed: tmp_path / f"seed{seed}" for seed in (0, 1)}
    for seed, run in runs.items():
        code, _, err = _train(
            capsys, "--data", str(tiny_data), "--out", str(run), "--preset", "tiny", "--steps", "1", "--seed", str(seed)
        )
        assert code == 0, err
    first, second = (load_model(run).state_dict() for run in runs.values())
    assert read_run(runs[1]).config.seed == 1 and read_run(runs[0]).config.seed == 0
    assert not torch.equal(first["encoder.net.0.weight"], second["encoder.net.0.weight"])
    code, _, err = _train(capsys, "--out", str(runs[1]), "--resume", "--seed", "2")
    assert code == 2 and err.strip() == "physlab: error: train: --seed starts a run; a resumed run goes on with its own seed"


def test_resume_without_a_run_or_data_is_one_line(tmp_path, capsys):
    code, _, err = _train(capsys, "--out", str(tmp_path / "empty"), "--resume")
    assert code == 2
    assert (
        err.strip()
        == f"physlab: error: {tmp_path / 'empty'}: holds no training run to resume (no config.json or state.safetensors)"
    )
    code, _, err = _train(capsys, "--out", str(tmp_path / "new"), "--preset", "tiny")
    assert code == 2 and "--data is needed" in err and len(err.strip().splitlines()) == 1


def test_a_run_killed_before_its_first_step_checkpoint_resumes_from_its_timed_one(tiny_data, tmp_path, monkeypatch):
    """Checkpoints by time (here: after every step) as well as by steps; resuming from one is bit-exact."""
    monkeypatch.setattr(physlab.train.loop, "CHECKPOINT_SHARE", float("inf"))  # no stretching for the checkpoints' cost
    config = load_train_config(preset="tiny").model_copy(update={"steps": 6, "threads": 1, "checkpoint_every": 1000})
    straight = train(tiny_data, tmp_path / "straight", config, progress=False)
    real_batch = physlab.train.loop.sample_batch

    def killed_at_step_4(clips, batch_size, targets, seed, step, *rest):
        if step == 4:
            raise KeyboardInterrupt
        return real_batch(clips, batch_size, targets, seed, step, *rest)

    monkeypatch.setattr(physlab.train.loop, "sample_batch", killed_at_step_4)
    killed = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        train(tiny_data, killed, config, progress=False, checkpoint_seconds=0.0)
    assert read_run(killed).step == 4  # every step done before the kill was kept
    monkeypatch.setattr(physlab.train.loop, "sample_batch", real_batch)
    resumed = train(tiny_data, killed, config, resume=True, progress=False, checkpoint_seconds=0.0)
    for (name, a), (_, b) in zip(load_model(straight).state_dict().items(), load_model(resumed).state_dict().items()):
        assert torch.equal(a, b), name


def test_a_run_stopped_before_any_checkpoint_starts_again_from_its_record(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    config = load_train_config(preset="tiny").model_copy(update={"steps": 2})
    (run / "config.json").write_text(json.dumps({"train": config.model_dump(), "data": str(tiny_data), "source": "preset tiny"}))
    code, out, err = _train(capsys, "--out", str(run), "--resume")
    assert code == 0, err
    assert f"{run}: no checkpoint yet, starting again (preset tiny; data {tiny_data})" in out
    assert "trained for 2 steps" in out


def test_several_training_folders_train_together_and_resume_as_one(tiny_data, tmp_path, capsys):
    other = tmp_path / "other"
    write_training_set(other, load_families("collision"), 6, seed=5, size=32, frames=24, shard_size=6, progress=False)
    run = tmp_path / "run"
    code, _, err = _train(capsys, "--data", str(tiny_data), str(other), "--out", str(run), "--preset", "tiny", "--steps", "2")
    assert code == 0, err
    recorded = json.loads((run / "config.json").read_text())
    assert recorded["data"] == [str(tiny_data.resolve()), str(other.resolve())]
    assert recorded["clips"] == 12 + 6  # every clip of both folders
    code, out, err = _train(capsys, "--out", str(run), "--resume", "--steps", "3")  # the run's own folders
    assert code == 0, err
    assert f"data {tiny_data.resolve()}, {other.resolve()}" in out and "trained for 3 steps" in out
    code, _, err = _train(capsys, "--data", str(tmp_path / "missing"), str(other), "--out", str(tmp_path / "bad"))
    assert code != 0 and "missing" in err and "Traceback" not in err
    episodes = tmp_path / "episodes"
    write_action_set(episodes, "two_rooms", 2, steps=12, shard_size=2, progress=False)
    code, _, err = _train(capsys, "--data", str(episodes), str(other), "--out", str(tmp_path / "mixed"))
    assert code != 0 and "episodes with actions train alone" in err


def test_folders_whose_manifests_list_no_shards_are_one_clear_error(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.csv").write_text("shard,index,family,seed\n")
    with pytest.raises(PhyslabError, match=r"a, .*b: the manifests list no shards"):
        physlab.train.loop.load_clips([tmp_path / "a", tmp_path / "b"], 32, 12.0, progress=False)
