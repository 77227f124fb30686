"""The world models: shapes, losses, EMA, a short training run, checkpoints, resume, DDP."""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import TINY

import physlab.train.loop
from physlab.errors import PhyslabError
from physlab.model import ModelConfig, build_model, load_model, load_train_config, save_model
from physlab.model.checkpoint import load_weights
from physlab.model.jepa import change_variance, vicreg_terms
from physlab.model.networks import (
    MIN_CONTEXT,
    appearance_code,
    context_windows,
    hide_moving_blocks,
    horizon_targets,
    scoring_predictions,
    windows_at,
)
from physlab.train.loop import train


def _tiny_config(steps=30, **changes):
    config = load_train_config(preset="tiny")
    return config.model_copy(update={"steps": steps, "threads": 1, **changes})


@pytest.mark.parametrize("kind", ["jepa", "pixel"])
def test_horizon_energies_are_what_surprise_combines(kind):
    model = build_model(TINY.model_copy(update={"kind": kind, "horizon": 3, "surprise_horizon": 3})).eval()
    frames = torch.rand(2, 12, 3, 32, 32)
    energies = model.horizon_energies(frames)
    assert energies.shape == (2, 3, 12)
    for how, combine in (("mean", lambda e: torch.nanmean(e, dim=1)), ("farthest", lambda e: e[:, -1])):
        model.config = model.config.model_copy(update={"surprise_horizons": how})
        assert torch.allclose(combine(energies), model.surprise_channels(frames)[:, 0], equal_nan=True)
    assert torch.isnan(energies[:, 2, :3]).all()  # a prediction three frames ahead lands on frame 3 at the earliest
    assert model.horizon_energies(frames[:, :2]).shape == (2, 3, 2)


@pytest.mark.parametrize("kind", ["jepa", "pixel"])
def test_loss_and_surprise_shapes(kind):
    model = build_model(TINY.model_copy(update={"kind": kind}))
    frames = torch.rand(3, 10, 3, 32, 32)
    chosen = torch.tensor([[2, 5, 9], [3, 4, 8], [2, 3, 4]])  # frame 9 has no frame 9 + 1: the mask drops it
    loss, metrics = model.loss(frames, chosen)
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert metrics["latent_std"] > 0
    curve = model.surprise(torch.rand(2, 12, 3, 32, 32))
    assert curve.shape == (2, 12)
    assert torch.isnan(curve[:, :MIN_CONTEXT]).all() and torch.isfinite(curve[:, MIN_CONTEXT:]).all()


@pytest.mark.parametrize("kind", ["jepa", "pixel"])
def test_a_finer_latent_grid_gives_a_cell_to_every_4_pixels(kind):
    config = TINY.model_copy(update={"kind": kind, "latent_stride": 4})
    model = build_model(config)
    frames = torch.rand(2, 8, 3, 32, 32)
    assert config.latent_grid == 8 and model.encoder(frames[0]).shape == (8, 16, 8, 8)
    loss, _ = model.loss(frames, torch.tensor([[2, 5], [3, 6]]))
    assert torch.isfinite(loss)
    assert torch.isfinite(model.surprise(frames)[:, MIN_CONTEXT:]).all()
    # the same weights as the coarse grid, so the two are compared at one budget
    coarse = build_model(TINY.model_copy(update={"kind": kind}))
    assert sum(p.numel() for p in model.encoder.parameters()) == sum(p.numel() for p in coarse.encoder.parameters())


def test_a_folded_input_sees_every_pixel_and_starts_as_the_unfolded_model_at_half_size(tmp_path):
    half = build_model(TINY.model_copy(update={"colour_levels": 4}), seed=3)
    path = tmp_path / "half.safetensors"
    save_model(path, half)
    config = TINY.model_copy(update={"colour_levels": 4, "image_size": 64, "input_fold": 2})
    assert config.cell_pixels == 16 and config.latent_grid == TINY.latent_grid
    folded = build_model(config, seed=4)
    assert load_weights(folded, path) == []
    assert folded.encoder.net[0].weight.shape[1] == 12
    frames = torch.rand(2, 14, 3, 64, 64)
    averaged = F.avg_pool2d(frames.flatten(0, 1), 2).reshape(2, 14, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(folded.eval().surprise(frames), half.eval().surprise(averaged), equal_nan=True)
        # Two frames with the same block averages: the half-size model cannot tell them apart; the folded one
        # has a weight for every pixel of a block, so once those weights differ (as training makes them) it can.
        checkers = (torch.arange(64)[:, None] + torch.arange(64)[None]) % 2
        one, other = (torch.stack([c.float()] * 3)[None] for c in (checkers, 1 - checkers))
        assert torch.equal(half.encoder(F.avg_pool2d(one, 2)), half.encoder(F.avg_pool2d(other, 2)))
        folded.encoder.net[0].weight.add_(torch.randn_like(folded.encoder.net[0].weight) * 0.1)
        assert not torch.allclose(folded.encoder(one), folded.encoder(other))
    loss, _ = folded.train().loss(frames, torch.tensor([[2, 5], [3, 6]]))
    assert torch.isfinite(loss)
    with pytest.raises(ValueError, match="input_fold is for the JEPA"):
        ModelConfig(kind="pixel", image_size=128, input_fold=2)
    with pytest.raises(ValueError, match="multiple of a cell"):
        ModelConfig(image_size=120, input_fold=2)


def test_a_motion_encoder_sees_each_frame_with_its_change():
    model = build_model(TINY.model_copy(update={"input_motion": True}), seed=5).eval()
    assert model.encoder.net[0].weight.shape[1] == 6
    still = torch.rand(1, 1, 3, TINY.image_size, TINY.image_size).expand(1, 3, -1, -1, -1)
    moved = torch.cat([torch.rand_like(still[:, :1]), still[:, 1:]], dim=1)
    with torch.no_grad():
        latents, after_change = model.encode(still), model.encode(moved)
        # A clip's first frame has no change; a frame like the one before it has none either.
        torch.testing.assert_close(latents[:, 0], latents[:, 2])
        torch.testing.assert_close(after_change[:, 2], latents[:, 2])
        # The same picture after a different one is seen differently: its change is part of the input.
        assert not torch.allclose(after_change[:, 1], latents[:, 1])
    loss, _ = model.train().loss(torch.rand(2, 14, 3, TINY.image_size, TINY.image_size), torch.tensor([[2, 5], [3, 6]]))
    assert torch.isfinite(loss)
    with pytest.raises(ValueError, match="input_motion is for the JEPA"):
        ModelConfig(kind="pixel", input_motion=True)


def test_a_standardising_encoder_sees_a_dim_or_tinted_clip_as_in_daylight():
    model = build_model(TINY.model_copy(update={"input_standardise": True}), seed=6).eval()
    clip = torch.rand(1, 4, 3, TINY.image_size, TINY.image_size)
    tint = torch.tensor([0.3, 0.5, 0.4])[None, None, :, None, None]
    with torch.no_grad():
        torch.testing.assert_close(model.encode(clip * tint + 0.05), model.encode(clip), atol=2e-3, rtol=2e-3)
        plain = build_model(TINY, seed=6).eval()
        assert not torch.allclose(plain.encode(clip * tint + 0.05), plain.encode(clip), atol=2e-3, rtol=2e-3)
    with pytest.raises(ValueError, match="input_standardise is for the JEPA"):
        ModelConfig(kind="pixel", input_standardise=True)


def test_the_training_device_is_the_gpu_only_when_there_is_one(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert physlab.train.loop.training_device("auto") == torch.device("cpu")
    assert physlab.train.loop.training_device("cpu") == torch.device("cpu")
    with pytest.raises(PhyslabError, match="no GPU"):
        physlab.train.loop.training_device("cuda")
    with pytest.raises(PhyslabError, match="unknown device"):
        physlab.train.loop.training_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert physlab.train.loop.training_device("auto") == torch.device("cuda", 1)
    assert physlab.train.loop.training_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_cpu_run_resumes_on_the_gpu(tiny_data, tmp_path):
    config = _drawing_config()
    train(tiny_data, tmp_path / "run", config.model_copy(update={"steps": 10}), progress=False, device="cpu")
    train(tiny_data, tmp_path / "run", config, resume=True, progress=False, device="cuda")
    model = load_model(tmp_path / "run" / "model.safetensors")
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())
    assert (tmp_path / "run" / "metrics.csv").read_text().count("\n") == config.steps + 1


def test_context_windows_pad_the_start_of_a_clip():
    latents = torch.arange(6.0).reshape(1, 6, 1, 1, 1)
    windows, valid = context_windows(latents, 3)
    assert windows.shape == (1, 6, 3, 1, 1, 1)
    assert windows[0, 4, :, 0, 0, 0].tolist() == [1.0, 2.0, 3.0]  # frame 4 is predicted from frames 1-3
    assert valid[1].tolist() == [False, False, True] and valid[4].all()


def test_training_predicts_from_the_same_windows_as_scoring():
    latents = torch.randn(2, 7, 3, 2, 2)
    chosen = torch.tensor([[2, 6], [3, 4]])
    windows, valid = windows_at(latents, 4, chosen)
    all_windows, all_valid = context_windows(latents, 4)
    assert torch.equal(windows[1], all_windows[0, 6]) and torch.equal(windows[2], all_windows[1, 3])
    assert torch.equal(valid[0], all_valid[2])
    targets, inside = horizon_targets(latents, chosen, 2)
    assert torch.equal(targets[0, 1], latents[0, 3]) and inside[1].tolist() == [True, False]


def test_missing_context_frames_do_not_matter():
    model = build_model(TINY).eval()
    frames = torch.rand(1, TINY.context + TINY.horizon, 3, 32, 32)
    latents = model.encode(frames)[:, : TINY.context]
    valid = torch.tensor([[False, False, True, True]])
    noisy = latents.clone()
    noisy[:, :2] = torch.randn_like(noisy[:, :2])
    assert torch.equal(model.predictor(latents, valid), model.predictor(noisy, valid))


def test_hidden_blocks_cover_the_moving_thing_in_the_last_frames():
    windows = torch.zeros(64, 6, 4, 8, 8)
    windows[:, :, :, 5, 2] = torch.arange(6.0)[None, :, None]  # only cell (5, 2) changes
    valid = torch.ones(64, 6, dtype=torch.bool)
    valid[0, :2] = False
    cells = hide_moving_blocks(windows, valid, 0.5, torch.Generator().manual_seed(0))
    hidden = ~cells
    hidden[0, :2] = False  # those slots were never valid
    masked = hidden.flatten(1).any(1)
    assert 16 < masked.sum() < 48  # about half the windows
    assert hidden[masked][:, :, 5, 2].any(1).all()  # every block covers the moving cell
    assert not hidden[masked][:, 0].any()  # the first frame always shows it: there is something to carry
    for window in hidden[masked]:
        frames = window.flatten(1).any(1).nonzero().flatten().tolist()
        assert frames == list(range(frames[0], 6))  # one span, up to the last frame
    assert not hidden[~masked].any()
    again = hide_moving_blocks(windows, valid, 0.5, torch.Generator().manual_seed(0))
    assert torch.equal(cells, again)
    assert hide_moving_blocks(windows, valid, 0.0).flatten(2).all(2).equal(valid)


@pytest.mark.parametrize("summary", [False, True])
def test_a_hidden_cell_is_a_missing_one_to_the_predictor(summary):
    model = build_model(TINY.model_copy(update={"predictor_summary": summary})).eval()
    if summary:
        torch.nn.init.normal_(model.predictor.summary.weight)  # it starts at zero; the pooling must skip hidden cells
    latents = model.encode(torch.rand(1, TINY.context, 3, 32, 32))
    cells = torch.ones(1, TINY.context, 4, 4, dtype=torch.bool)
    cells[:, -2:, 1:3, 1:3] = False
    noisy = latents.clone()
    noisy[:, -2:, :, 1:3, 1:3] = torch.randn_like(noisy[:, -2:, :, 1:3, 1:3])
    assert torch.equal(model.predictor(latents, cells), model.predictor(noisy, cells))
    everywhere = torch.ones(1, TINY.context, dtype=torch.bool)
    per_cell = everywhere[:, :, None, None].expand(1, -1, 4, 4)
    assert torch.equal(model.predictor(latents, everywhere), model.predictor(latents, per_cell))


def test_the_context_summary_starts_as_a_no_op_and_sees_the_whole_view():
    plain = build_model(TINY).eval()
    summarised = build_model(TINY.model_copy(update={"predictor_summary": True})).eval()
    missing = summarised.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert sorted(missing) == ["predictor.summary.bias", "predictor.summary.weight"]
    frames = torch.rand(1, 10, 3, 32, 32)
    assert torch.equal(plain.surprise(frames)[:, MIN_CONTEXT:], summarised.surprise(frames)[:, MIN_CONTEXT:])
    torch.nn.init.normal_(summarised.predictor.summary.weight)
    latents = summarised.encode(frames)[:, : TINY.context]
    valid = torch.ones(1, TINY.context, dtype=torch.bool)
    moved = latents.clone()
    moved[:, 0, :, 0, 0] += 5.0  # a change in one corner, long ago, reaches the far corner's prediction
    far = (summarised.predictor(latents, valid) - summarised.predictor(moved, valid))[..., -1, -1].abs().max()
    near_only = (plain.predictor(latents, valid) - plain.predictor(moved, valid))[..., -1, -1].abs().max()
    assert far > 1e-3 and near_only < far


@pytest.mark.parametrize("kind", ["jepa", "pixel"])
def test_context_masking_changes_the_loss_and_is_seeded(kind):
    frames, chosen = torch.rand(2, 10, 3, 32, 32), torch.tensor([[6, 8], [7, 9]])
    plain = build_model(TINY.model_copy(update={"kind": kind}), seed=3)
    masking = build_model(TINY.model_copy(update={"kind": kind, "context_masking": 1.0}), seed=3)
    first = masking.loss(frames, chosen, torch.Generator().manual_seed(1))[0]
    assert first == masking.loss(frames, chosen, torch.Generator().manual_seed(1))[0]
    assert first != plain.loss(frames, chosen)[0]


def test_surprise_is_causal():
    model = build_model(TINY).eval()
    frames = torch.rand(1, 12, 3, 32, 32)
    changed = frames.clone()
    changed[:, 9:] = torch.rand(1, 3, 3, 32, 32)
    before, after = model.surprise(frames), model.surprise(changed)
    assert torch.equal(before[:, MIN_CONTEXT:9], after[:, MIN_CONTEXT:9])
    assert not torch.equal(before[:, 9:], after[:, 9:])


@pytest.mark.parametrize("kind", ["jepa", "pixel"])
def test_surprise_can_score_predictions_made_further_ahead(kind):
    config = TINY.model_copy(update={"kind": kind, "horizon": 3})
    near = build_model(config).eval()
    far = build_model(config.model_copy(update={"surprise_horizon": 3})).eval()
    frames = torch.rand(2, 12, 3, 32, 32)
    a, b = near.surprise(frames), far.surprise(frames)
    assert torch.isnan(b[:, : MIN_CONTEXT + 2]).all() and torch.isfinite(b[:, MIN_CONTEXT + 2 :]).all()
    assert not torch.allclose(a[:, MIN_CONTEXT + 2 :], b[:, MIN_CONTEXT + 2 :])
    with pytest.raises(ValueError, match="surprise_horizon 4"):
        config.model_copy(update={"surprise_horizon": 4}).model_validate(config.model_dump() | {"surprise_horizon": 4})


@pytest.mark.parametrize("kind", ["jepa", "pixel"])
def test_surprise_can_combine_every_horizon(kind):
    config = TINY.model_copy(update={"kind": kind, "horizon": 3})
    frames = torch.rand(2, 12, 3, 32, 32)
    single = [build_model(config.model_copy(update={"surprise_horizon": k})).eval().surprise(frames) for k in (1, 2, 3)]
    for how, reduce in (("max", torch.amax), ("mean", torch.mean)):
        combined = build_model(config.model_copy(update={"surprise_horizon": 3, "surprise_horizons": how})).eval()
        curve = combined.surprise(frames)
        assert torch.isnan(curve[:, :MIN_CONTEXT]).all() and torch.isfinite(curve[:, MIN_CONTEXT:]).all()
        # From the frame every horizon reaches, it is the max (mean) of the single-horizon curves.
        full = MIN_CONTEXT + 2
        assert torch.allclose(curve[:, full:], reduce(torch.stack(single)[:, :, full:], dim=0), atol=1e-5)
        assert torch.allclose(curve[:, MIN_CONTEXT], single[0][:, MIN_CONTEXT], atol=1e-5)  # only 1 ahead reaches it
        assert combined.config.first_scored_frame == MIN_CONTEXT


def test_surprise_can_be_the_squared_error_of_a_model_that_predicts_variance():
    frames = torch.rand(2, 10, 3, 32, 32)
    nll = build_model(TINY).eval()
    squared = build_model(TINY.model_copy(update={"surprise_energy": "squared_error"})).eval()
    assert squared.config.predict_variance
    with torch.no_grad():
        latents = squared.encode(frames)
        targets = squared.targets(frames, latents)
        predicted = scoring_predictions(squared.predictor, latents, TINY.context)[:, :, 0, : TINY.latent_dim]
        by_hand = (predicted - targets[:, MIN_CONTEXT:]).pow(2).mean(dim=2).flatten(2).amax(-1)
    curve = squared.surprise(frames)
    torch.testing.assert_close(curve[:, MIN_CONTEXT:], by_hand, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(curve[:, MIN_CONTEXT:], nll.surprise(frames)[:, MIN_CONTEXT:])


def test_a_run_may_resume_with_other_scoring_fields_only():
    scoring = {"surprise_horizon": 1, "surprise_horizons": "max", "surprise_energy": "squared_error"}
    scored_otherwise = TINY.model_copy(update=scoring)
    assert TINY.trains_like(scored_otherwise)
    assert not TINY.trains_like(TINY.model_copy(update={"horizon": 3}))


def test_beta_nll_gives_the_mean_the_gradient_of_squared_error():
    model = build_model(TINY)
    dim = TINY.latent_dim
    predicted = torch.randn(3, 2, dim + 1, 4, 4)
    predicted[:, :, dim] = 2.0  # a large predicted variance, which plain NLL lets damp the mean's gradient
    targets = torch.randn(3, 2, dim, 4, 4)
    grads = {}
    for beta in (0.0, 1.0):
        leaf = predicted.clone().requires_grad_(True)
        model._energy(leaf, targets, beta).sum().backward()
        grads[beta] = leaf.grad[:, :, :dim]
    squared = predicted[:, :, :dim].clone().requires_grad_(True)
    (0.5 * (squared - targets).pow(2).mean(dim=2)).sum().backward()
    assert torch.allclose(grads[1.0], squared.grad, atol=1e-6)
    assert torch.allclose(grads[0.0], squared.grad * torch.exp(torch.tensor(-2.0)), atol=1e-6)


def test_ema_target_moves_towards_the_online_encoder():
    model = build_model(TINY.model_copy(update={"ema_momentum": 0.9}))
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.add_(1.0)
    target_before = [p.clone() for p in model.target_encoder.parameters()]
    model.update_target()
    for before, target, online in zip(target_before, model.target_encoder.parameters(), model.encoder.parameters()):
        assert torch.allclose(target, 0.9 * before + 0.1 * online)
    assert not any(p.requires_grad for p in model.target_encoder.parameters())


def test_vicreg_terms_punish_collapse():
    collapsed = torch.zeros(64, 8) + 0.001 * torch.randn(64, 8)
    spread = torch.randn(64, 8)
    assert vicreg_terms(collapsed)[0] > 0.9 > vicreg_terms(spread)[0]
    correlated = torch.randn(64, 1).repeat(1, 8)
    assert vicreg_terms(correlated)[1] > vicreg_terms(spread)[1]


def test_training_reduces_the_loss_and_logs_metrics(tiny_data, tmp_path):
    train(tiny_data, tmp_path / "run", _tiny_config(steps=40), progress=False)
    import csv

    with open(tmp_path / "run" / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in rows] == list(range(1, 41))
    losses = [float(r["loss"]) for r in rows]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    assert all(float(r["latent_std"]) > 0 for r in rows)


def test_the_colour_code_is_each_quarter_cells_mean_colour():
    frames = torch.zeros(1, 2, 3, 16, 16)
    frames[0, 1, 0, 0:4, 4:8] = 1.0  # frame 1: the top-right quarter of the top-left cell is red
    code = appearance_code(frames, 8)
    assert code.shape == (1, 2, 12, 2, 2)
    assert torch.equal(code[0, 0], torch.full((12, 2, 2), -0.5))  # black, centred on grey
    red_quarters = code[0, 1, 0:4, 0, 0]  # red channel of the four quarters, row by row
    assert red_quarters.tolist() == [-0.5, 0.5, -0.5, -0.5]
    assert (code[0, 1, 4:, 0, 0] == -0.5).all() and (code[0, 1, :, 1, 1] == -0.5).all()


def test_a_jepa_with_the_colour_code_sees_and_predicts_it():
    config = TINY.model_copy(update={"appearance_scale": 4.0})
    model = build_model(config)
    assert config.predicted_dim == TINY.latent_dim + 12
    frames = torch.rand(2, 10, 3, 32, 32)
    targets = model.targets(frames)
    assert targets.shape == (2, 10, TINY.latent_dim + 12, 4, 4)
    torch.testing.assert_close(targets[:, :, TINY.latent_dim :], 4.0 * appearance_code(frames, 8))
    loss, _ = model.loss(frames, torch.tensor([[2, 5], [3, 6]]))
    loss.backward()
    assert model.encoder.net[0].weight.grad is not None  # the encoder still learns through the predictor
    assert torch.isfinite(model.surprise(frames)[:, MIN_CONTEXT:]).all()
    # a recoloured clip is far from the original in the code, whatever the latents keep
    recoloured = frames.flip(2)
    assert (model.targets(recoloured) - targets)[:, :, TINY.latent_dim :].abs().amax() > 0.5


def test_the_colour_code_is_for_the_jepa_only():
    with pytest.raises(ValueError, match="appearance_scale is for the JEPA"):
        ModelConfig(kind="pixel", appearance_scale=4.0)


def test_a_model_with_the_colour_code_round_trips(tmp_path):
    model = build_model(TINY.model_copy(update={"appearance_scale": 4.0})).eval()
    save_model(tmp_path / "m.safetensors", model)
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.config.appearance_scale == 4.0
    frames = torch.rand(1, 10, 3, 32, 32)
    torch.testing.assert_close(model.surprise(frames), loaded.surprise(frames), rtol=1e-5, atol=1e-6, equal_nan=True)
    with pytest.raises(PhyslabError, match="does not fit this model's config"):
        load_weights(build_model(TINY), tmp_path / "m.safetensors")  # its predictor sees more numbers a cell


def test_checkpoint_round_trip(tmp_path):
    model = build_model(TINY).eval()
    save_model(tmp_path / "m.safetensors", model, {"step": 3})
    loaded = load_model(tmp_path / "m.safetensors")
    frames = torch.rand(1, 10, 3, 32, 32)
    for (name, saved), (_, restored) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(saved, restored), name
    # channels-last inference weights reorder the float sums; the values agree to rounding
    torch.testing.assert_close(model.surprise(frames), loaded.surprise(frames), rtol=1e-5, atol=1e-6, equal_nan=True)
    assert (tmp_path / "m.json").exists()


def _drawing_config(steps=20):
    """Tiny, with every option of training on: augmented clips, targets from another look, hidden context blocks,
    reappearance and motion weights, the variance of what moves, the objectness head."""
    config = _tiny_config(steps=steps, augment=True, reappearance_weight=5.0, cross_view=True, motion_weight=3.0)
    return config.model_copy(
        update={
            "model": config.model.model_copy(
                update={
                    "context_masking": 0.5,
                    "predictor_summary": True,
                    "change_variance_weight": 1.0,
                    "objectness_weight": 1.0,
                }
            )
        }
    )


def test_resume_after_a_kill_loses_nothing(tiny_data, tmp_path, monkeypatch):
    straight = tmp_path / "straight"
    train(tiny_data, straight, _drawing_config(), progress=False)
    resumed = tmp_path / "resumed"
    real_batch = physlab.train.loop.sample_batch

    def killed_at_step_12(clips, batch_size, targets, seed, step, *rest):
        if step == 12:  # two steps after the checkpoint at 10: those two are lost and redone
            raise KeyboardInterrupt
        return real_batch(clips, batch_size, targets, seed, step, *rest)

    monkeypatch.setattr(physlab.train.loop, "sample_batch", killed_at_step_12)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_data, resumed, _drawing_config(), progress=False)
    monkeypatch.setattr(physlab.train.loop, "sample_batch", real_batch)
    with pytest.raises(PhyslabError, match="pass --resume"):
        train(tiny_data, resumed, _drawing_config(), progress=False)
    train(tiny_data, resumed, _drawing_config(), resume=True, progress=False)
    a, b = load_model(straight / "model.safetensors"), load_model(resumed / "model.safetensors")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name
    assert (resumed / "metrics.csv").read_text().count("\n") == 21


def test_training_can_start_from_a_model_file(tiny_data, tmp_path):
    first = train(tiny_data, tmp_path / "first", _tiny_config(steps=10), progress=False)
    tuned = _drawing_config(steps=1).model_copy(update={"init": str(first), "learning_rate": 1e-9})
    second = load_model(train(tiny_data, tmp_path / "second", tuned, progress=False))
    start = load_model(first)
    weight = "encoder.net.0.weight"
    torch.testing.assert_close(second.state_dict()[weight], start.state_dict()[weight], rtol=0, atol=1e-6)
    assert second.config.predictor_summary and not start.config.predictor_summary
    assert "init" in (tmp_path / "second" / "config.json").read_text()
    wider = build_model(TINY.model_copy(update={"latent_dim": 24}))
    with pytest.raises(PhyslabError, match="does not fit this model"):
        load_weights(wider, first)
    with pytest.raises(PhyslabError, match="no model file"):
        load_weights(wider, tmp_path / "missing.safetensors")


def test_unreadable_models_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(PhyslabError, match="not a readable physlab model"):
        load_model(bad)
    with pytest.raises(PhyslabError, match="no such model file"):
        load_model(tmp_path / "missing.safetensors")


def test_untrained_and_bundled_names():
    untrained = load_model("untrained")
    assert untrained.config.kind == "jepa"
    frames = torch.rand(1, 10, 3, 64, 64)
    again = load_model("untrained").surprise(frames)
    torch.testing.assert_close(untrained.surprise(frames), again, rtol=0, atol=0, equal_nan=True)


@pytest.mark.slow
def test_distributed_training_on_two_processes(tiny_data, tmp_path):
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    out = tmp_path / "ddp"
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    command = [torchrun, "--standalone", "--nproc_per_node=2", "-m", "physlab", "train",
               "--data", str(tiny_data), "--out", str(out), "--preset", "tiny", "--steps", "6", "--quiet"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (out / "model.safetensors").exists()
    assert '"processes": 2' in (out / "config.json").read_text()
    assert load_model(out / "model.safetensors").config.context == 4


def test_the_example_training_configs_load():
    from pathlib import Path

    from physlab.control.spec import load_world
    from physlab.control.train import load_action_train_config, model_config_for

    for path in sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")):
        if path.stem.startswith("plan_"):  # the action-conditioned model's, for the world its name gives
            config = load_action_train_config(path)
            assert model_config_for(load_world(path.stem.split("_")[1]), config.model).kind == "action_jepa", path
            continue
        config = load_train_config(path)
        assert config.model.kind == ("pixel" if path.stem.startswith("pixel") else "jepa"), path


def test_train_on_the_command_line_is_silent_when_quiet(tiny_data, tmp_path, capsys):
    from physlab.cli import main

    code = main(["train", "--data", str(tiny_data), "--out", str(tmp_path / "run"), "--preset", "tiny", "--steps", "2",
                 "--device", "cpu", "--quiet"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0 and "trained for 2 steps" in captured.out
    assert captured.err == ""


def test_change_variance_asks_cells_that_moved_to_change_their_embedding():
    still = torch.zeros(2, 4, 3, 3, 8)  # (B, T, g, g, E): embeddings that never change
    moving = torch.zeros(2, 4, 3, 3)
    assert change_variance(still, moving) == 0  # nothing moved: nothing asked
    moving[:, 1:, 1, 1] = 1.0
    assert torch.isclose(change_variance(still, moving), torch.tensor(1.0), atol=0.02)  # moved, did not change
    torch.manual_seed(0)
    changing = still.clone()
    changing[:, :, 1, 1] = torch.randn(2, 4, 8) * 3.0  # the moving cell's embedding changes a lot
    assert change_variance(changing, moving) < 0.2
    changing[:, :, 1, 1] *= 0.1  # and now a little: the hinge asks for more
    noisy = changing.clone()
    noisy[:, :, 0, 0] = torch.randn(2, 4, 8) * 3.0  # a cell that changes where the picture did not counts for nothing
    assert torch.isclose(change_variance(noisy, moving), change_variance(changing, moving))
    moving[:, 1:, 0, 0] = 0.5  # once the picture changes there, it counts, in part
    assert change_variance(noisy, moving) < change_variance(changing, moving)


@pytest.mark.parametrize(
    ("option", "keyword", "metric"),
    [("change_variance_weight", "moving", "change_variance_loss"), ("objectness_weight", "objects", "objectness_loss")],
)
def test_a_training_term_reaches_the_loss_only_with_its_maps(option, keyword, metric):
    """The variance on what moves and the objectness head: each is off until the loop gives it its (B, T, g, g) maps."""
    model = build_model(TINY.model_copy(update={option: 1.0}))
    frames = torch.rand(2, 8, 3, 32, 32)
    chosen = torch.tensor([[3, 5], [4, 6]])
    plain, metrics = model.loss(frames, chosen)
    assert metric not in metrics
    maps = torch.zeros(2, 8, *([TINY.latent_grid] * 2))
    maps[:, :, 1, 1] = 1.0
    weighed, metrics = model.loss(frames, chosen, **{keyword: maps})
    assert metrics[metric] > 0 and weighed > plain
    with pytest.raises(ValueError, match=f"{option} is for the JEPA"):
        ModelConfig(kind="pixel", **{option: 1.0})


def test_change_variance_needs_vicreg():
    with pytest.raises(ValueError, match="needs regularizer: vicreg"):
        ModelConfig(regularizer="none", change_variance_weight=1.0)


def test_several_hypotheses_start_as_one_and_the_nearest_scores_and_learns(tmp_path):
    one = build_model(TINY, seed=3)
    path = tmp_path / "one.safetensors"
    save_model(path, one)
    config = TINY.model_copy(update={"hypotheses": 3})
    several = build_model(config, seed=4)
    assert load_weights(several, path) == []
    frames = torch.rand(2, 14, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        single, nearest = one.eval().surprise(frames), several.eval().surprise(frames)
    # The copies are jittered, so the nearest of them is at most a little off the one they were copied from.
    torch.testing.assert_close(nearest, single, rtol=0.1, atol=1e-3, equal_nan=True)
    # Training moves the nearest hypothesis of each frame (one window here) most, the others a little.
    head = several.predictor.head[2]
    before = head.weight.detach().clone()
    several.train()
    optimiser = torch.optim.SGD(several.parameters(), lr=0.1)
    loss, _ = several.loss(frames[:1], torch.tensor([[5]]))
    loss.backward()
    optimiser.step()
    moved = (head.weight.detach() - before).reshape(TINY.horizon, 3, -1).abs().sum(-1)  # (horizon, hypotheses)
    assert (moved.amax(dim=1) > 5 * moved.amin(dim=1)).all()
    with pytest.raises(ValueError, match="hypotheses is for the JEPA"):
        ModelConfig(kind="pixel", hypotheses=2)


def test_the_nearest_hypothesis_gives_an_uncertain_event_a_low_energy():
    from physlab.model.networks import nearest_hypotheses

    # Two ways a frame may go (the ball out, 1, or not yet, 0): one blurred prediction is half wrong for both,
    # two hypotheses are each right for one; the energy of each outcome is the nearest hypothesis's.
    outcomes = torch.tensor([1.0, 0.0])[:, None, None, None, None].expand(2, 1, 1, 2, 2)
    blurred = torch.full((2, 1, 1, 2, 2), 0.5)
    hypotheses = torch.tensor([1.0, 0.0])[None, None, :, None, None].expand(2, 1, 2, 2, 2)
    cells = (hypotheses - outcomes).pow(2)
    energy = nearest_hypotheses(cells, cells.flatten(-2).amax(-1), training=False)
    assert torch.equal(energy, torch.zeros(2, 1, 2, 2))
    assert ((blurred - outcomes).pow(2) == 0.25).all()
    mixed = nearest_hypotheses(cells, cells.flatten(-2).amax(-1), training=True)
    torch.testing.assert_close(mixed, torch.full((2, 1, 2, 2), 0.05))
