"""The colour channel: the histogram, its predictor, calibration against possible clips, and training it alone."""

import numpy as np
import pytest
import torch
from conftest import TINY

from physlab.errors import PhyslabError
from physlab.model import TrainConfig, build_model, load_model, load_train_config
from physlab.model.checkpoint import load_weights
from physlab.model.colour import colour_histogram
from physlab.train.loop import train
from physlab.voe.surprise import SurpriseCurve, score_videos

COLOURED = TINY.model_copy(update={"colour_levels": 4, "colour_width": 32})


def _weighed_pixel_by_pixel(frames: torch.Tensor, levels: int) -> torch.Tensor:
    """The soft histogram computed the slow, obvious way: every pixel's triangle weights, multiplied out."""
    centres = torch.linspace(0, 1, levels)
    weights = torch.relu(1 - (frames[..., None] - centres).abs() * (levels - 1))  # (B, T, 3, H, W, L)
    shares = torch.einsum("bthwr,bthwg,bthwc->btrgc", *weights.unbind(2)).flatten(2)
    return (shares / shares.sum(-1, keepdim=True)).sqrt()


def test_a_histogram_puts_each_colour_in_its_bins():
    frames = torch.zeros(1, 2, 3, 8, 8)
    frames[0, 0, 0] = 1.0  # all red
    frames[0, 1, :, :, :4] = 1.0  # half white, half black
    histogram = colour_histogram(frames, 4) ** 2  # shares
    red = (3 * 4 + 0) * 4 + 0
    assert histogram[0, 0, red] == pytest.approx(1.0)
    assert histogram[0, 1, 0] == pytest.approx(0.5) and histogram[0, 1, 63] == pytest.approx(0.5)
    dark_red = torch.zeros(1, 1, 3, 4, 4)
    dark_red[:, :, 0] = 0.2  # between levels 0 and 1/3 of red, nearer 1/3: shared 0.4 / 0.6
    shares = (colour_histogram(dark_red, 4) ** 2).flatten()
    assert shares[0] == pytest.approx(0.4) and shares[16] == pytest.approx(0.6) and shares.sum() == pytest.approx(1.0)


def test_the_fast_histogram_is_within_its_stated_error_of_weighing_every_pixel():
    frames = torch.rand(2, 3, 3, 64, 64, generator=torch.Generator().manual_seed(0))  # noise, at the model's size
    assert (colour_histogram(frames, 4) - _weighed_pixel_by_pixel(frames, 4)).abs().max() < 0.005


def test_a_jepa_with_colour_trains_and_scores_two_channels():
    model = build_model(COLOURED)
    frames = torch.rand(2, 10, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    chosen = torch.tensor([[2, 5], [3, 7]])
    loss, metrics = model.loss(frames, chosen)
    assert "colour_loss" in metrics and "prediction_loss" in metrics
    alone, only = model.loss(frames, chosen, parts="colour")
    assert set(only) == {"colour_loss"} and alone.item() == pytest.approx(metrics["colour_loss"])
    alone.backward()
    assert all(p.grad is not None for p in model.colour.parameters())
    assert all(p.grad is None for p in model.encoder.parameters())
    channels = model.surprise_channels(frames)
    assert channels.shape == (2, 2, 10) and model.config.channel_names == ("latents", "colour")
    assert torch.isnan(channels[:, :, :2]).all() and torch.isfinite(channels[:, :, 2:]).all()
    torch.testing.assert_close(model.surprise(frames), channels.amax(dim=1), equal_nan=True)
    with pytest.raises(ValueError, match="no colour channel"):
        build_model(TINY).loss(frames, chosen, parts="colour")


def test_a_new_colour_coming_out_surprises_the_colour_channel_more_than_the_old_one():
    """Causality and sensitivity: frames before the change score the same; where it shows, the colour channel rises."""
    model = build_model(COLOURED).eval()
    with torch.no_grad():  # a predictor that expects the colours to stay as they are
        model.colour.net[-1].weight.zero_()
        model.colour.net[-1].bias.zero_()
    frames = torch.full((1, 10, 3, 32, 32), 0.3)
    frames[:, :, :, 10:16, :] = torch.tensor([0.9, 0.1, 0.1])[:, None, None]  # a red band
    changed = frames.clone()
    changed[:, 6:, :, 10:16, :] = torch.tensor([0.1, 0.1, 0.9])[:, None, None]  # comes back blue
    before, after = model.surprise_channels(frames), model.surprise_channels(changed)
    torch.testing.assert_close(before[:, :, :6], after[:, :, :6], equal_nan=True)
    assert after[0, 1, 6] > before[0, 1, 6] + 10.0  # log units: from nothing to a whole band's colour


def test_calibration_centres_and_scales_each_channel_on_possible_clips():
    model = build_model(COLOURED).eval()
    clips = [torch.rand(4, 10, 3, 32, 32, generator=torch.Generator().manual_seed(seed)) for seed in range(3)]
    model.calibrate(clips)
    peaks = torch.cat([model.surprise_channels(batch)[:, :, 2:].amax(dim=2) for batch in clips])  # (12, 2)
    torch.testing.assert_close(peaks.median(dim=0).values, torch.zeros(2), atol=1e-4, rtol=0)
    torch.testing.assert_close(peaks.std(dim=0), torch.ones(2), atol=1e-4, rtol=0)


def test_the_latents_nll_is_calibrated_as_it_is_not_logged():
    """The latents' NLL is negative where the model is sure and right: a log would clamp those frames to one floor
    value and leave the colour channel alone to decide them. A squared error is logged."""
    raw = torch.tensor([[[-1.5, -0.2, 0.7]], [[0.1, 0.2, 0.4]]]).transpose(0, 1)  # (B 1, channels 2, T 3)
    nll = build_model(COLOURED.model_copy(update={"predict_variance": True, "surprise_energy": "nll"}))
    torch.testing.assert_close(nll._log_scale(raw)[:, 0], raw[:, 0])
    torch.testing.assert_close(nll._log_scale(raw)[:, 1], raw[:, 1].log())
    squared = build_model(COLOURED.model_copy(update={"predict_variance": True, "surprise_energy": "squared_error"}))
    assert squared._log_scale(raw)[0, 0, 0] < -20  # a squared error is never negative: this is the clamp


def test_a_clip_with_channels_peaks_at_their_soft_maximum():
    frames, fps = np.arange(4), 12.0
    latents, colour = np.array([np.nan, 1.0, 2.0, 0.5]), np.array([np.nan, 0.0, -1.0, 1.5])
    curve = SurpriseCurve("c", np.fmax(latents, colour), frames, fps, {"latents": latents, "colour": colour}, 0.5)
    assert curve.clip_surprise("max") == pytest.approx(0.5 * np.log(np.exp(2.0 / 0.5) + np.exp(1.5 / 0.5)))
    assert curve.clip_surprise("max") > 2.0
    assert curve.channel_peaks() == {"latents": 2.0, "colour": 1.5}
    assert curve.clip_surprise("mean") == pytest.approx(np.nanmean([1.0, 2.0, 1.5]))
    assert curve.rows()[2] == {"clip": "c", "frame": 2, "seconds": round(2 / 12, 4), "surprise": 2.0,
                               "surprise_latents": 2.0, "surprise_colour": -1.0}  # fmt: skip
    single = SurpriseCurve("c", latents, frames, fps)
    assert single.clip_surprise("max") == 2.0 and "surprise_latents" not in single.rows()[1]
    assert single.channel_peaks() == {}


def test_training_calibrates_every_checkpoint_and_scoring_reports_both_channels(tiny_data, tmp_path):
    config = load_train_config(preset="tiny").model_copy(update={"steps": 4, "checkpoint_every": 2, "threads": 1})
    config = config.model_copy(update={"model": COLOURED})
    model = load_model(train(tiny_data, tmp_path / "run", config, progress=False))
    assert not torch.equal(model.calibration, torch.tensor([[0.0, 1.0], [0.0, 1.0]]))
    video = (np.random.default_rng(0).random((12, 32, 32, 3)) * 255).astype(np.uint8)
    curve = score_videos(model, [("v", video, 12.0)], precision="float32")[0]
    assert list(curve.channels) == ["latents", "colour"]
    np.testing.assert_array_equal(curve.values, np.fmax(*curve.channels.values()))


def test_the_colour_channel_trains_alone_on_a_trained_model(tiny_data, tmp_path):
    tiny = load_train_config(preset="tiny").model_copy(update={"steps": 4, "threads": 1})
    first = train(tiny_data, tmp_path / "first", tiny, progress=False)
    alone = tiny.model_copy(update={"model": COLOURED, "parts": "colour", "init": str(first), "steps": 6})
    second = load_model(train(tiny_data, tmp_path / "second", alone, progress=False))
    before, after = load_model(first).state_dict(), second.state_dict()
    for name, weight in before.items():  # encoder, predictor, EMA target: untouched
        torch.testing.assert_close(after[name], weight, rtol=0, atol=0)
    fresh = build_model(COLOURED).state_dict()
    assert not torch.equal(after["colour.net.0.weight"], fresh["colour.net.0.weight"])
    assert "colour.net.0.weight" in load_weights(build_model(COLOURED), first)


def test_colour_settings_are_checked():
    with pytest.raises(PhyslabError, match="give a trained one with init"):
        load_train_config(preset="colour")
    assert load_train_config(preset="colour", overrides={"init": "jepa"}).parts == "colour"
    with pytest.raises(ValueError, match="needs colour_levels"):
        TrainConfig.model_validate({"parts": "colour", "init": "jepa"})
    with pytest.raises(ValueError, match="for the JEPA"):
        TINY.model_validate({"kind": "pixel", "colour_levels": 4})
    with pytest.raises(ValueError, match="at least 2"):
        TINY.model_validate({"colour_levels": 1})
