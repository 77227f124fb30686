"""Where a hidden object comes back into view, and the loss that weighs it up."""

import numpy as np
import torch

from physlab.model import ModelConfig, build_model
from physlab.train.loop import Clips, sample_batch
from physlab.train.reappearance import reappearing_cells


def _masks(visible_frames, steps=10, size=16):
    """Object 1, a 4x4 square moving right 1 px a frame, drawn only in `visible_frames`; object 2 always there."""
    masks = np.zeros((1, steps, size, size), np.uint8)
    masks[0, :, 12:16, 12:16] = 2
    for t in visible_frames:
        masks[0, t, 4:8, t : t + 4] = 1
    return masks


def test_an_object_that_comes_back_marks_its_cells_for_a_few_frames():
    cells = reappearing_cells(_masks([0, 1, 2, 6, 7, 8, 9]), grid=4, frames_after=3)
    marked = cells[0].flatten(1).any(1).nonzero().flatten().tolist()
    assert marked == [6, 7, 8]  # the first three frames back in view, not the first sighting
    assert cells[0, 6, 1].tolist() == [False, True, True, False]  # x 6..9: columns 1 and 2 of 4
    assert not cells[0, :, 3, 3].any()  # the object that never hides is never marked


def test_entering_for_the_first_time_is_not_coming_back():
    assert not reappearing_cells(_masks([4, 5, 6, 7]), grid=4).any()


def test_batches_carry_the_reappearance_maps_with_their_clips():
    frames = torch.randint(0, 255, (2, 6, 16, 16, 3), dtype=torch.uint8)
    maps = torch.zeros(2, 6, 2, 2, dtype=torch.bool)
    maps[1, 4, 0, 0] = True  # only clip 1 has one, top left
    clips = Clips(frames, maps)
    seen = 0
    for step in range(8):
        batch, _, weights, _ = sample_batch(clips, 4, 2, seed=0, step=step, rank=0)
        for clip, weight in zip(batch, weights):
            is_second = torch.equal(clip, frames[1].permute(0, 3, 1, 2).float() / 255)
            mirrored = torch.equal(clip, frames[1].flip(2).permute(0, 3, 1, 2).float() / 255)
            if is_second or mirrored:
                assert weight[4, 0, 1 if mirrored else 0] == 1.0 and weight.sum() == 1.0
                seen += 1
            else:
                assert weight.sum() == 0.0
    assert seen > 4


def test_weighted_cells_count_more_in_the_loss():
    config = ModelConfig(image_size=32, latent_dim=8, channels=(8, 8, 8), context=3, horizon=2,
                         predictor_width=16, predictor_blocks=1, expander_dim=16, regularizer="none")  # fmt: skip
    frames, chosen = torch.rand(2, 8, 3, 32, 32), torch.tensor([[3, 5], [4, 6]])
    for kind in ("jepa", "pixel"):
        model = build_model(config.model_copy(update={"kind": kind}))
        ones = torch.ones(2, 8, 4, 4)
        heavy = ones.clone()
        heavy[:, 5:7] = 50.0
        plain = model.loss(frames, chosen)[0]
        assert torch.isclose(model.loss(frames, chosen, None, ones)[0], plain)
        assert model.loss(frames, chosen, None, heavy)[0] > 5 * plain
