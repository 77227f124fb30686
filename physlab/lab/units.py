"""What a surprise value means under each kind of model: an axis label with its unit, and one line.

A model's surprise is its prediction error, but the error of what, and in which units, depends on
the model (`ModelConfig`): the bundled JEPA's channels are calibrated on possible clips, the pixel
baseline's error is in pixel values, an uncalibrated JEPA's is in its own latent units.
"""

from __future__ import annotations

from dataclasses import dataclass

from physlab.model import ModelConfig


@dataclass(frozen=True)
class SurpriseScale:
    """`axis`: a chart's axis title with the unit (short: a long one squeezes the plot); `meaning`: one plain
    sentence; `reference`: a value with a meaning of its own to draw as a line (and its label), or None."""

    axis: str
    meaning: str
    reference: tuple[float, str] | None = None


def surprise_scale(config: ModelConfig) -> SurpriseScale:
    """The scale of `config`'s surprise values."""
    if len(config.channel_names) > 1:
        return SurpriseScale(
            axis="surprise (SD above a typical peak)",
            meaning=(
                "Calibrated log prediction error: 0 is how surprised the model is, at its most, by a typical "
                "possible clip it trained on; 1 is one standard deviation above that; below 0 is calmer."
            ),
            reference=(0.0, "typical peak"),
        )
    if config.kind == "pixel":
        cell = config.cell_pixels
        return SurpriseScale(
            axis="surprise (squared pixel error)",
            meaning=(
                "How far the predicted frame's pixels (0 = black, 1 = white) are from the real ones, squared and "
                f"averaged over the {cell}x{cell} patch it got most wrong: 0 is a perfect prediction, 0.01 an error "
                "of a tenth of the brightness range on every pixel of that patch."
            ),
        )
    if config.predict_variance and config.surprise_energy == "nll":
        return SurpriseScale(
            axis="surprise (latents' neg. log-likelihood)",
            meaning=(
                "How unlikely the real frame's latents are under the model's prediction and its own stated "
                "uncertainty, in the latent cell it got most wrong: higher is more surprising; the zero means "
                "nothing in particular and values can be negative."
            ),
        )
    return SurpriseScale(
        axis="surprise (squared latent error)",
        meaning=(
            "How far the predicted latents (normalised to unit spread) are from the real frame's, squared and "
            "averaged, in the latent cell the model got most wrong: 0 is a perfect prediction."
        ),
    )
