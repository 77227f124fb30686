"""Procedural textures for looks: tileable greyscale patterns, tinted by a surface's colour when drawn.

A texture is a pure function of (kind, variant, contrast): a square RGB image whose brightest
tone is white and whose darkest is `1 - contrast`, so the tiny renderer's texture x rgbaColor
product gives the surface its colour and the pattern its shading. Every pattern is periodic,
so tiled UVs (a floor 20 m wide with a repeat every 40 cm) show no seams. Images are written
once to a cache folder (atomically) and reused by every later clip and process.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from physlab.files import atomic_path

TEXTURE_KINDS = ("plain", "checkers", "stripes", "noise", "grain", "wood", "tiles", "dots", "bricks", "marble")
VARIANTS = 4  # patterns per kind (orientation, count, noise seed)
CONTRASTS = (0.25, 0.45, 0.65)  # how dark the darkest tone is; drawn contrasts snap to these, so the cache stays small
PIXELS = 128


def cache_dir() -> Path:
    """Where texture images live (`PHYSLAB_CACHE` overrides ~/.cache/physlab)."""
    root = os.environ.get("PHYSLAB_CACHE") or Path.home() / ".cache" / "physlab"
    return Path(root) / "textures"


def snap_contrast(contrast: float) -> float:
    """The cached contrast nearest to `contrast`."""
    return min(CONTRASTS, key=lambda level: abs(level - contrast))


def texture_file(kind: str, variant: int, contrast: float) -> Path:
    """The PNG of a texture, made on first use; `kind` must not be "plain" (a plain surface has no texture)."""
    contrast = snap_contrast(contrast)
    path = cache_dir() / f"{kind}_{variant % VARIANTS}_{round(contrast * 100):02d}.png"
    if not path.exists():
        image = texture_image(kind, variant, contrast)
        with atomic_path(path) as temp:
            Image.fromarray(image).save(temp, format="PNG")
    return path


def texture_image(kind: str, variant: int, contrast: float, pixels: int = PIXELS) -> np.ndarray:
    """(pixels, pixels, 3) uint8: the pattern `kind` (variant `variant`), white to `1 - contrast` grey."""
    if kind not in PATTERNS:
        raise ValueError(f"unknown texture {kind!r}; textures: {', '.join(TEXTURE_KINDS)}")
    rng = np.random.default_rng([TEXTURE_KINDS.index(kind), variant % VARIANTS])
    y, x = (np.mgrid[0:pixels, 0:pixels] + 0.5) / pixels  # texture coordinates in [0, 1)
    tone = np.clip(PATTERNS[kind](x, y, variant % VARIANTS, rng), 0.0, 1.0)  # 1 = the surface's colour
    grey = 1.0 - contrast * (1.0 - tone)
    return np.repeat(np.round(grey * 255).astype(np.uint8)[..., None], 3, axis=2)


def _checkers(x: np.ndarray, y: np.ndarray, variant: int, rng: np.random.Generator) -> np.ndarray:
    cells = (2, 4, 4, 8)[variant]
    return ((np.floor(x * cells) + np.floor(y * cells)) % 2).astype(float)


def _stripes(x: np.ndarray, y: np.ndarray, variant: int, rng: np.random.Generator) -> np.ndarray:
    count, direction = ((4, "x"), (6, "y"), (4, "xy"), (8, "x"))[variant]
    u = {"x": x, "y": y, "xy": x + y}[direction]
    return (np.floor(u * count * 2) % 2).astype(float)


def _periodic_noise(pixels: int, rng: np.random.Generator, cutoff: float, anisotropy: float = 1.0) -> np.ndarray:
    """Smooth tileable noise in [0, 1]: white noise low-passed in Fourier space (so it wraps around)."""
    white = rng.standard_normal((pixels, pixels))
    fy, fx = np.meshgrid(np.fft.fftfreq(pixels) * pixels, np.fft.fftfreq(pixels) * pixels, indexing="ij")
    radius = np.hypot(fx, fy * anisotropy)
    smooth = np.real(np.fft.ifft2(np.fft.fft2(white) * np.exp(-((radius / cutoff) ** 2))))
    low, high = smooth.min(), smooth.max()
    return (smooth - low) / max(high - low, 1e-9)


def _noise(x: np.ndarray, y: np.ndarray, variant: int, rng: np.random.Generator) -> np.ndarray:
    return _periodic_noise(x.shape[0], rng, cutoff=(3.0, 5.0, 8.0, 12.0)[variant])


def _grain(x: np.ndarray, y: np.ndarray, variant: int, rng: np.random.Generator) -> np.ndarray:
    fine = rng.uniform(size=x.shape)
    return 0.35 + 0.65 * (0.6 * fine + 0.4 * _periodic_noise(x.shape[0], rng, cutoff=20.0))


def _wood(x: np.ndarray, y: np.ndarray, variant: int, rng: np.random.Generator) -> np.ndarray:
    # Thin streaks along one axis, gently warped by stretched noise: planks' grain.
    warp = _periodic_noise(x.shape[0], rng, cutoff=6.0, anisotropy=6.0)
    along = y if variant % 2 else x
    streaks = 0.5 + 0.5 * np.sin(2 * np.pi * ((6 + 2 * variant) * along + 2.0 * warp))
    return 0.45 + 0.55 * streaks**2


def _tiles(x: np.ndarray, y: np.ndarray, variant: int, rng: np.random.Generator) -> np.ndarray:
    cells = (2, 3, 4, 4)[variant]
    grout = 0.06 if variant < 3 else 0.12
    fx, fy = (x * cells) % 1.0, (y * cells) % 1.0
    inside = (fx > grout) & (fy > grout)
    return np.where(inside, 1.0, 0.0)


def _dots(x: np.ndarray, y: np.ndarray, variant: int, rng: np.random.Generator) -> np.ndarray:
    cells, radius = ((3, 0.25), (4, 0.3), (5, 0.22), (6, 0.35))[variant]
    fx, fy = (x * cells) % 1.0 - 0.5, (y * cells) % 1.0 - 0.5
    return (np.hypot(fx, fy) > radius).astype(float)


def _bricks(x: np.ndarray, y: np.ndarray, variant: int, rng: np.random.Generator) -> np.ndarray:
    rows = (4, 6, 8, 4)[variant]
    row = np.floor(y * rows)
    shifted = (x * rows / 2 + 0.5 * (row % 2)) % 1.0
    mortar = 0.07
    return np.where(((y * rows) % 1.0 > mortar) & (shifted > mortar / 2), 1.0, 0.0)


def _marble(x: np.ndarray, y: np.ndarray, variant: int, rng: np.random.Generator) -> np.ndarray:
    # Broad veins: the sine of a strongly turbulent phase, sharpened so veins are thin and dark.
    turbulence = _periodic_noise(x.shape[0], rng, cutoff=4.0) + 0.5 * _periodic_noise(x.shape[0], rng, cutoff=10.0)
    phase = 2 * np.pi * ((1 + variant % 2) * (x + y) + 3.0 * turbulence)
    return 1.0 - np.abs(np.sin(phase)) ** 8


PATTERNS = {
    "checkers": _checkers,
    "stripes": _stripes,
    "noise": _noise,
    "grain": _grain,
    "wood": _wood,
    "tiles": _tiles,
    "dots": _dots,
    "bricks": _bricks,
    "marble": _marble,
}
