"""Training clips filmed differently: the look changes per clip, never within one."""

import numpy as np
import pytest
import torch

from physlab.train.augment import augment_clips, restyle_clips
from physlab.train.loop import Clips, sample_batch


def test_each_clip_keeps_one_look_over_time():
    still = torch.rand(4, 1, 3, 32, 32).expand(4, 6, 3, 32, 32)  # nothing moves
    out, _ = augment_clips(still, np.random.default_rng(0))
    assert out.shape == still.shape and out.min() >= 0.0 and out.max() <= 1.0
    assert torch.equal(out, out[:, :1].expand_as(out))  # so no change of look is motion
    assert not torch.allclose(out, still, atol=0.05)


def test_augmentation_is_a_function_of_the_seed():
    frames = torch.rand(2, 5, 3, 16, 16)
    a, _ = augment_clips(frames, np.random.default_rng(3))
    assert torch.equal(a, augment_clips(frames, np.random.default_rng(3))[0])
    assert not torch.equal(a, augment_clips(frames, np.random.default_rng(4))[0])


def test_zoom_brings_things_nearer():
    frames = torch.zeros(1, 2, 3, 32, 32)
    frames[..., 14:18, 14:18] = 1.0  # a small bright square in the middle
    square = frames[:, :, 0].clone()
    coarse = torch.nn.functional.avg_pool2d(square, 4)  # the same square on an 8x8 map
    zoomed, maps = augment_clips(frames, np.random.default_rng(1), max_zoom=1.6, maps=coarse)
    # brightness and contrast shift every pixel; the square's area is what zoom changes
    bright = zoomed[0, 0].mean(0) > zoomed[0, 0].mean()
    assert bright.sum() > 16
    # the map is cropped with its clip: it still lies on the square
    pooled = torch.nn.functional.avg_pool2d(bright[None].float(), 4)[0]
    assert maps.shape == coarse.shape
    assert torch.corrcoef(torch.stack([pooled.flatten(), maps[0, 0].flatten()]))[0, 1] > 0.8


def test_batches_are_augmented_only_when_asked():
    clips = Clips(torch.randint(0, 255, (3, 8, 16, 16, 3), dtype=torch.uint8))
    plain, chosen, none, no_objects = sample_batch(clips, 2, 3, seed=0, step=5, rank=0)
    augmented, same_chosen, _, _ = sample_batch(clips, 2, 3, seed=0, step=5, rank=0, augment=True)
    assert none is None and no_objects is None  # these clips know neither where things reappear nor where they are
    assert torch.equal(chosen, same_chosen) and not torch.equal(plain, augmented)
    assert torch.equal(augmented, sample_batch(clips, 2, 3, seed=0, step=5, rank=0, augment=True)[0])


def test_film_changes_light_and_lens_and_grain_differs_by_frame():
    still = torch.rand(3, 1, 3, 24, 24).expand(3, 5, 3, 24, 24)
    plain, _ = augment_clips(still, np.random.default_rng(2))
    filmed, _ = augment_clips(still, np.random.default_rng(2), film=True)
    assert filmed.shape == still.shape and filmed.min() >= 0.0 and filmed.max() <= 1.0
    assert not torch.allclose(filmed, plain, atol=0.02)  # the same palette and zoom, another camera on top
    assert torch.equal(filmed, augment_clips(still, np.random.default_rng(2), film=True)[0])
    # grain is the one change drawn anew each frame; without it a clip keeps one look
    grainy = [(clip[1:] - clip[:1]).abs().max() > 0 for clip in filmed]
    for clip, moves in zip(filmed, grainy):
        assert moves or torch.equal(clip, clip[:1].expand_as(clip))


def test_training_configs_take_film_as_an_augmentation():
    from physlab.model.config import TrainConfig

    assert TrainConfig(augment="film").augment == "film" and TrainConfig(augment=True).augment is True
    with pytest.raises(ValueError):
        TrainConfig(augment="sepia")


def test_restyled_clips_keep_every_pixel_in_place():
    frames = torch.zeros(2, 3, 3, 32, 32)
    frames[..., 10:14, 20:24] = 1.0  # a bright square: another look may tint it, never move it
    out = restyle_clips(frames, np.random.default_rng(0))
    assert out.shape == frames.shape and out.min() >= 0.0 and out.max() <= 1.0
    assert not torch.allclose(out, frames, atol=0.05)
    brightness = out.mean(dim=2)  # (B, T, H, W)
    inside, outside = brightness[..., 10:14, 20:24].mean(), brightness[..., :8, :8].mean()
    assert inside > outside + 0.2
    assert torch.equal(out, restyle_clips(frames, np.random.default_rng(0)))


def test_cross_view_targets_come_from_the_other_look():
    from physlab.model import TrainConfig, build_model, load_train_config

    config = load_train_config(preset="tiny")
    model = build_model(config.model)
    frames = torch.rand(2, 8, 3, config.model.image_size, config.model.image_size)
    chosen = torch.tensor([[4, 5], [5, 6]])
    torch.manual_seed(0)
    same, _ = model.loss(frames, chosen)
    torch.manual_seed(0)
    crossed, _ = model.loss(frames, chosen, target_frames=restyle_clips(frames, np.random.default_rng(1)))
    assert not torch.isclose(same, crossed)
    crossed.backward()  # the gradient reaches the encoder through the context alone
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoder.parameters())
    with pytest.raises(ValueError, match="not a JEPA"):
        TrainConfig.model_validate({"cross_view": True, "model": {"kind": "pixel"}})
