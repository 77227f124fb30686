import torch

from physlab.train.moving import FULL_CHANGE, moving_cells


def _clip(steps=4, size=16):
    return torch.full((1, steps, 3, size, size), 0.5)


def test_a_still_clip_has_no_moving_cell():
    assert not moving_cells(_clip(), grid=4).any()


def test_a_small_object_that_moves_marks_the_cells_it_leaves_and_enters():
    frames = _clip()
    frames[0, 1, :, 1:3, 1:3] = 1.0  # a 2-px square in cell (0, 0) ...
    frames[0, 2, :, 1:3, 5:7] = 1.0  # ... moves to cell (0, 1)
    frames[0, 3, :, 1:3, 5:7] = 1.0  # ... and stays there
    cells = moving_cells(frames, grid=4)
    assert cells.shape == (1, 4, 4, 4)
    assert cells[0, 0].sum() == 0  # the first frame has no frame before it
    assert cells[0, 1, 0, 0] == 1 and cells[0, 1].sum() == 1  # it appears
    assert cells[0, 2, 0, 0] == 1 and cells[0, 2, 0, 1] == 1 and cells[0, 2].sum() == 2  # it leaves one, enters the next
    assert cells[0, 3].sum() == 0  # still again


def test_a_faint_change_counts_in_part():
    frames = _clip(steps=2)
    frames[0, 1, :, 0, 0] += FULL_CHANGE / 2
    assert torch.isclose(moving_cells(frames, grid=4)[0, 1, 0, 0], torch.tensor(0.5))
