"""Background effects on the server: ``output=cutout | blur | composite`` of ``POST /v1/segment``.

``cutout`` answers an RGBA PNG whose alpha is the person (soft edges from the model's
probabilities, refined to the image's edges); ``blur`` the photo with its background blurred
(``sigma``); ``composite`` the person over a colour (``background=#rrggbb``). Every effect
answer carries ``X-Pixelwise-Person: found | none`` and ``X-Pixelwise-Person-Fraction`` (share
of pixels with alpha >= 0.5): a photo with no person gives a fully transparent cut-out and
``none``. A model without a person class is refused (422) before the upload is read.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..io.image import encode_png
from ..vis import background as bg
from .status import ApiError

__all__ = ["EFFECT_OUTPUTS", "check_effect", "effect_options", "render_effect"]

EFFECT_OUTPUTS = ("cutout", "blur", "composite")


def check_effect(seg: Any, output: str, background: str | None) -> tuple[int, int, int] | None:
    """Before the upload: the model has a person class, ``composite`` has a colour (its RGB, else None)."""
    if output not in EFFECT_OUTPUTS:
        if background is not None:
            raise ApiError(422, f"background= is for output=composite, got output={output}")
        return None
    try:
        bg.foreground_ids_of(seg.names)
    except InputError as exc:
        raise ApiError(422, f"output={output}: {exc}") from None
    if output != "composite":
        return None
    if not background:
        raise ApiError(422, "output=composite needs background=#rrggbb (or R,G,B or a colour name; "
                            "write # as %23 in a URL)")
    try:
        return bg.parse_colour(background)
    except InputError as exc:
        raise ApiError(422, f"background: {exc}") from None


def effect_options(seg: Any, output: str, opts: dict[str, Any]) -> dict[str, Any]:
    """The prediction options of an effect: the class probabilities too, where the model has them."""
    if output in EFFECT_OUTPUTS and seg.spec.gives_confidence:
        return {**opts, "confidence": True}
    return opts


def render_effect(result: Any, output: str, sigma: float, colour: tuple[int, int, int] | None,
                  encode_rgb: Any) -> tuple[bytes, str, dict[str, str]]:
    """(body, media type, headers) of an effect; ``encode_rgb(image) -> (body, media)`` for RGB answers."""
    alpha = bg.alpha_matte(result)
    headers = {"X-Pixelwise-Person": "found" if alpha.any() else "none",
               "X-Pixelwise-Person-Fraction": f"{float((alpha >= 0.5).mean()):.4f}"}
    if output == "cutout":
        return encode_png(bg.cutout(result, alpha=alpha)), "image/png", headers
    if output == "blur":
        image = bg.blur_background(result, sigma, alpha=alpha)
    else:
        image = bg.composite(result, colour, alpha=alpha)
    body, media = encode_rgb(image)
    return body, media, headers
