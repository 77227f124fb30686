"""The action-conditioned world model, its files and its training (physlab/control/model.py, checkpoint.py, train.py)."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from control_fixtures import episode_data  # noqa: F401  (a fixture)

from physlab.control.checkpoint import is_action_model_file, load_action_model, save_action_model
from physlab.control.data import load_episodes
from physlab.control.model import (
    ActionWorldModel,
    chunk_actions,
    probe_targets,
    read_positions,
    sigreg,
    state_readout_loss,
)
from physlab.control.spec import load_world
from physlab.control.train import ACTION_PRESETS, load_action_train_config, model_config_for, sample_sequences
from physlab.errors import PhyslabError
from physlab.model import load_model

TINY = ACTION_PRESETS["plan_tiny"]["model"]


def _model(world="push", **fields):
    torch.manual_seed(0)
    return ActionWorldModel(model_config_for(load_world(world), {**TINY, **fields}))


def test_the_untrained_predictor_copies_its_input_and_rolls_out_any_horizon():
    model = _model(history=2).eval()
    embeddings, actions = torch.randn(3, 2, 8), torch.randn(3, 2, 10)
    assert torch.equal(model.predictor(embeddings, actions), embeddings)  # AdaLN-zero and a zero output layer
    assert model.rollout(embeddings, torch.randn(3, 5, 10), actions[:, :1]).shape == (3, 5, 8)


def test_the_loss_trains_every_part_and_the_heads_only_read(episode_data):  # noqa: F811
    model = _model().train()
    episodes = load_episodes(episode_data)
    batch = sample_sequences(episodes, model.config, 4, seed=0, step=0, rank=0)
    frames, actions, states, goals = batch
    assert (
        frames.shape == (4, 3, 3, 64, 64)
        and actions.shape == (4, 2, 10)
        and states.shape == (4, 3, 5)
        and goals.shape == (4, 3, 64, 64)
    )
    loss, metrics = model(*batch)
    loss.backward()
    assert torch.isfinite(loss)
    assert {"teacher_loss", "rollout_loss", "variance_loss", "probe_loss", "inverse_loss", "embedding_std"} <= set(metrics)
    assert all(p.grad is not None for p in model.encoder.parameters())
    # The heads read embeddings through a stop-gradient: the probe's loss alone moves no encoder weight.
    model.zero_grad()
    embeddings = model.encode(frames[:, 0]).detach()
    torch.nn.functional.mse_loss(model.probe(embeddings), probe_targets(states[:, 0], 4)).backward()
    assert all(p.grad is None for p in model.encoder.parameters())


def test_a_state_readout_teaches_the_encoder_to_keep_the_state(episode_data):  # noqa: F811
    episodes = load_episodes(episode_data)
    plain = _model()
    assert plain.state_readout is None and "state_loss" not in plain(*sample_sequences(episodes, plain.config, 4, 0, 0, 0))[1]
    model = _model(state_weight=1.0).train()
    batch = sample_sequences(episodes, model.config, 4, seed=0, step=0, rank=0)
    frames, _, states, _ = batch
    loss, metrics = model(*batch)
    assert metrics["state_loss"] > 0
    # Unlike the display probe, the readout's loss alone moves the encoder.
    model.zero_grad()
    readout = model.state_readout(model.encode(frames))
    state_readout_loss(readout, probe_targets(states, model.config.angle_symmetry)).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoder.parameters())
    # Standardised per number: a readout of the batch's mean of each costs 1 (the biased spread is near the unbiased).
    targets = probe_targets(states, 4)
    assert abs(state_readout_loss(targets.mean(dim=(0, 1)).expand_as(targets), targets).item() - 1.0) < 0.1
    with pytest.raises(PhyslabError, match="a frozen_encoder does not learn"):
        _model(state_weight=1.0, frozen_encoder=True, embedding="grid", predictor="conv")


def test_the_pixel_baseline_reconstructs_and_sigreg_can_replace_vicreg(episode_data):  # noqa: F811
    episodes = load_episodes(episode_data)
    for fields, expected in (({"kind": "action_pixel"}, "reconstruction_loss"), ({"regularizer": "sigreg"}, "sigreg_loss")):
        model = _model(**fields).train()
        loss, metrics = model(*sample_sequences(episodes, model.config, 4, seed=0, step=1, rank=0))
        assert torch.isfinite(loss) and expected in metrics


def test_sigreg_tells_a_gaussian_from_a_collapsed_batch():
    torch.manual_seed(0)
    gaussian = sigreg(torch.randn(512, 16))
    collapsed = sigreg(torch.randn(512, 1).expand(512, 16) * 0.01)
    assert gaussian < 3.0 and collapsed > 30 * gaussian  # the statistic is O(1) under the null, O(N) far from it


def test_headings_survive_the_probe_targets_modulo_symmetry():
    states = torch.tensor([[0.1, 0.2, 0.3, 0.4, 0.3], [0.0, 0.0, 0.0, 0.0, 0.3 + np.pi / 2]])
    targets = probe_targets(states, 4)
    assert targets.shape == (2, 6)
    assert torch.allclose(targets[0, 4:], targets[1, 4:], atol=1e-6)  # a quarter turn reads the same
    assert read_positions(targets, 4)[0, 4] == pytest.approx(0.3, abs=1e-5)
    assert chunk_actions(torch.arange(24.0).reshape(12, 2), 5).shape == (2, 10)


def test_model_files_round_trip_and_load_model_hands_them_over(tmp_path):
    model = _model().eval()
    path = tmp_path / "plan.safetensors"
    save_action_model(path, model, load_world("push"), {"step": 3})
    assert is_action_model_file(path) and (tmp_path / "plan.json").exists()
    loaded = load_action_model(path)
    assert loaded.world.name == "push" and not loaded.training
    frames = torch.rand(2, 3, 64, 64)
    assert torch.allclose(loaded.encode(frames), model.encode(frames))
    assert isinstance(load_model(path), ActionWorldModel)  # physlab evaluate --model FILE reaches it
    (tmp_path / "bad.safetensors").write_bytes(b"nonsense")
    with pytest.raises(PhyslabError, match="bad.safetensors: not a readable action-conditioned model"):
        load_action_model(tmp_path / "bad.safetensors")


def test_surprise_needs_the_actions():
    model = _model().eval()
    with pytest.raises(ValueError, match="actions"):
        model.surprise_channels(torch.rand(1, 3, 3, 64, 64))
    curve = model.surprise_channels(torch.rand(1, 3, 3, 64, 64), torch.rand(1, 2, 10))
    assert curve.shape == (1, 1, 3) and torch.isnan(curve[0, 0, 0]) and torch.isfinite(curve[0, 0, 1:]).all()


def test_training_writes_a_model_and_resumes(episode_data, tmp_path):  # noqa: F811
    run = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "physlab",
        "train",
        "--data",
        str(episode_data),
        "--out",
        str(run),
        "--preset",
        "plan_tiny",
        "--quiet",
    ]
    first = subprocess.run([*command, "--steps", "6"], capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert load_action_model(run).config.kind == "action_jepa"
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "pass --resume" in again.stderr
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    steps = [line.split(",")[0] for line in (run / "metrics.csv").read_text().splitlines()[1:]]
    assert steps == [str(s) for s in range(1, 13)]  # each step once: 6 before the resume, 6 after


def test_an_unknown_preset_is_one_clear_error():
    with pytest.raises(PhyslabError, match="unknown preset 'huge'"):
        load_action_train_config(preset="huge")


def test_one_token_attention_is_its_projected_value():
    from physlab.control.model import AdaLNBlock

    torch.manual_seed(0)
    block = AdaLNBlock(32, 4, 32, 0.1).eval()
    h = torch.randn(7, 1, 32)
    torch.testing.assert_close(block._attend(h, None), block.attention(h, h, h, need_weights=False)[0])


@pytest.mark.slow
def test_distributed_training_of_the_action_model_on_two_processes(episode_data, tmp_path):  # noqa: F811
    import os
    import shutil

    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    out = tmp_path / "ddp"
    command = [torchrun, "--standalone", "--nproc_per_node=2", "-m", "physlab", "train",
               "--data", str(episode_data), "--out", str(out), "--preset", "plan_tiny", "--steps", "4", "--quiet"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=os.environ | {"OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"processes": 2' in (out / "config.json").read_text()
    assert load_action_model(out).config.kind == "action_jepa"


def test_a_grid_embedding_with_the_conv_predictor(episode_data):  # noqa: F811
    model = _model(embedding="grid", predictor="conv", predictor_width=8).train()
    assert model.config.embedding_size == 4 * 8 * 8  # the tiny encoder's 4 channels on the 8x8 grid
    loss, metrics = model(*sample_sequences(load_episodes(episode_data), model.config, 4, seed=0, step=2, rank=0))
    loss.backward()
    assert torch.isfinite(loss) and "variance_loss" in metrics
    model.eval()
    embeddings = model.encode(torch.rand(3, 3, 64, 64))[:, None]
    assert torch.equal(model.predictor(embeddings, torch.rand(3, 1, 10)), embeddings)  # zero-initialised change
    with pytest.raises(PhyslabError, match="predictor: conv works on a grid embedding"):
        model_config_for(load_world("push"), {"predictor": "conv"})


def test_grid_terms_see_a_grid_that_never_changes_across_pictures():
    from physlab.control.model import grid_vicreg_terms

    pattern = torch.randn(1, 4, 64).expand(32, -1, -1)  # varies over cells, never over pictures: collapsed
    assert grid_vicreg_terms(pattern)[0] > 0.9
    assert grid_vicreg_terms(torch.randn(32, 4, 64) * 2)[0] == 0


def test_a_frozen_encoder_stays_as_initialised_and_only_the_predictor_learns(episode_data):  # noqa: F811
    model = _model(embedding="grid", frozen_encoder=True).train()
    assert not model.encoder.training and not model.projector.training  # its normalisation is frozen too
    before = {name: value.clone() for name, value in model.encoder.state_dict().items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for step in range(2):
        loss, metrics = model(*sample_sequences(load_episodes(episode_data), model.config, 4, seed=0, step=step, rank=0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert "variance_loss" not in metrics  # nothing learns to embed, so no anti-collapse term
    assert all(torch.equal(before[name], value) for name, value in model.encoder.state_dict().items())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.predictor.parameters())
    with pytest.raises(PhyslabError, match="frozen_encoder is for the JEPA"):
        model_config_for(load_world("push"), {"kind": "action_pixel", "frozen_encoder": True})


def test_embedding_sensitivity_sees_what_a_random_encoder_sees():
    from physlab.control.sensitivity import embedding_sensitivity

    rows = {
        row["change"]: row["relative"] for row in embedding_sensitivity(_model(embedding="grid"), load_world("push"), samples=3)
    }
    assert rows["object moved 5 cm"] == pytest.approx(1.0)
    assert set(rows) >= {"agent moved 1 cm", "object moved 20 cm", "object turned 45 deg"}
    # Untrained conv features keep the picture: a bigger move and a bigger turn are further away.
    assert (
        rows["object moved 1 cm"] < rows["object moved 5 cm"] and 0 < rows["object turned 5 deg"] < rows["object turned 45 deg"]
    )
    rooms = embedding_sensitivity(_model("two_rooms"), load_world("two_rooms"), samples=2)
    assert [row["change"] for row in rooms] == [f"agent moved {cm} cm" for cm in (1, 2, 5, 10, 20)]


def test_open_loop_error_reads_predicted_real_and_copied_states(episode_data, tmp_path):  # noqa: F811
    from physlab.control.data import write_action_set
    from physlab.control.foresight import open_loop_error

    model = _model()
    write_action_set(tmp_path, "push", 4, seed=3, steps=30, progress=False)
    summary = open_loop_error(model, load_episodes(tmp_path), horizon=2, every=1)
    assert set(summary) == {"moments", "horizon", "object_m", "heading_deg"}
    assert set(summary["object_m"]) == {"predicted", "read", "copied"}
    if summary["moments"]:  # scripted pushes usually move the box more than 3 cm in a second
        assert summary["object_m"]["copied"] > 0.03 and summary["heading_deg"]["predicted"] <= 45
    with pytest.raises(ValueError, match="the horizon needs"):
        open_loop_error(model, load_episodes(episode_data), horizon=5)
