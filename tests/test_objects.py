"""The objectness head: how much of each latent cell shows a body, taught from the renderer's masks."""

import numpy as np
import pytest
import torch
from conftest import TINY

from physlab.model import build_model
from physlab.train.loop import Clips, load_clips, sample_batch
from physlab.train.objects import object_cover


def test_object_cover_is_the_share_of_each_cell_that_shows_a_body():
    masks = np.zeros((1, 2, 8, 8), np.uint8)
    masks[0, 0, 0:4, 0:4] = 1  # fills the top-left cell of a 2x2 grid
    masks[0, 1, 4:6, 4:8] = 3  # another body (any id counts) covers half the bottom-right cell
    cover = object_cover(masks, grid=2)
    assert cover.shape == (1, 2, 2, 2) and cover.dtype == torch.float16
    assert cover[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert cover[0, 1].tolist() == [[0.0, 0.0], [0.0, 0.5]]
    odd = object_cover(np.ones((1, 1, 7, 10), np.uint8), grid=4)  # sizes that are no multiple of the grid
    assert torch.equal(odd, torch.ones(1, 1, 4, 4, dtype=torch.float16))


def test_the_cover_map_moves_with_its_clip_when_mirrored_or_cropped():
    frames = torch.zeros(2, 6, 16, 16, 3, dtype=torch.uint8)
    frames[:, :, 0:8, 0:8] = 255  # a white body top left, where the map says it is
    cover = torch.zeros(2, 6, 2, 2, dtype=torch.float16)
    cover[:, :, 0, 0] = 1.0
    clips = Clips(frames, objects=cover)
    seen_mirrored = seen_plain = 0
    for step in range(12):
        for augment in (False, True):
            batch = sample_batch(clips, 3, 2, seed=0, step=step, rank=0, augment=augment)
            assert batch.reappearing is None and batch.objects.shape == (3, 6, 2, 2)
            for clip, objects in zip(batch.frames, batch.objects):
                brightness = clip.mean(dim=(0, 1))  # (H, W), over time and colour
                left_brighter = brightness[:, :8].mean() > brightness[:, 8:].mean()
                assert bool(objects[:, :, 0].mean() > objects[:, :, 1].mean()) == bool(left_brighter)
                seen_plain += int(left_brighter)
                seen_mirrored += int(not left_brighter)
    assert seen_plain and seen_mirrored


def test_objectness_teaches_the_encoder_and_needs_its_head():
    model = build_model(TINY.model_copy(update={"objectness_weight": 1.0}))
    frames, chosen = torch.rand(2, 8, 3, 32, 32), torch.tensor([[3, 5], [4, 6]])
    objects = torch.zeros(2, 8, *([TINY.latent_grid] * 2))
    model.loss(frames, chosen, objects=objects)[0].backward()
    assert next(model.encoder.parameters()).grad.abs().sum() > 0  # the encoder learns from it, not the head alone
    with pytest.raises(ValueError, match="no objectness head"):
        build_model(TINY).loss(frames, chosen, objects=objects)


def test_training_clips_carry_their_cover_maps(tiny_data):
    clips = load_clips(tiny_data, 32, 12.0, progress=False, objects_grid=4)
    assert clips.objects.shape == (*clips.frames.shape[:2], 4, 4)
    assert 0.0 < float(clips.objects.float().mean()) < 0.5  # bodies are in view, and most of the frame is room
    assert load_clips(tiny_data, 32, 12.0, progress=False).objects is None
