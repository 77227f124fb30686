"""Procedural textures: deterministic, tileable, in the promised tones, written once to the cache."""

import numpy as np
import pytest

from physlab.scenes.textures import TEXTURE_KINDS, texture_file, texture_image

PATTERNS = [kind for kind in TEXTURE_KINDS if kind != "plain"]


@pytest.mark.parametrize("kind", PATTERNS)
def test_a_texture_is_a_pure_function_of_kind_variant_and_contrast(kind):
    image = texture_image(kind, 1, 0.45, pixels=64)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert np.array_equal(image, texture_image(kind, 1, 0.45, pixels=64))
    grey = image[..., 0].astype(int)
    assert grey.max() <= 255 and grey.min() >= round(255 * 0.55) - 1  # the darkest tone is 1 - contrast
    assert grey.std() > 3, "a pattern, not a plain surface"


@pytest.mark.parametrize("kind", PATTERNS)
def test_textures_tile_without_a_seam(kind):
    image = texture_image(kind, 2, 0.65, pixels=128)[..., 0].astype(float)
    # The step from the last column (or row) to the first of the next repeat is no larger than a step inside.
    for axis in (0, 1):
        inside = np.abs(np.diff(image, axis=axis)).mean(axis=1 - axis).max()
        across = np.abs(np.take(image, 0, axis=axis) - np.take(image, -1, axis=axis)).mean()
        assert across <= inside + 2, (axis, across, inside)


def test_textures_are_cached_once(tmp_path, monkeypatch):
    monkeypatch.setenv("PHYSLAB_CACHE", str(tmp_path))
    path = texture_file("dots", 0, 0.44)  # snaps to the cached contrast 0.45
    assert path.exists() and path.parent == tmp_path / "textures" and path.name == "dots_0_45.png"
    written = path.stat().st_mtime_ns
    assert texture_file("dots", 4, 0.47) == path  # variant 4 is variant 0
    assert path.stat().st_mtime_ns == written
