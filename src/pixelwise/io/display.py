"""Showing images in a window (needs an OpenCV build with a GUI)."""

from __future__ import annotations

import numpy as np

from ..errors import PixelwiseRuntimeError

__all__ = ["gui_available", "show_image", "NO_GUI_HINT"]

NO_GUI_HINT = ("this OpenCV has no GUI (opencv-python-headless); install opencv-python for windows, "
               "or use --out / --serve instead")


def gui_available() -> bool:
    import cv2

    try:
        info = cv2.getBuildInformation()
    except Exception:
        return False
    gui_line = [ln for ln in info.splitlines() if ln.strip().startswith("GUI:")]
    return bool(gui_line) and "NONE" not in gui_line[0].upper()


def show_image(image_rgb: np.ndarray, window: str = "pixelwise", wait_ms: int = 0) -> int:
    """Show an RGB image; returns the key pressed (-1 if none). Raises without a GUI."""
    import cv2

    if not gui_available():
        raise PixelwiseRuntimeError(NO_GUI_HINT)
    cv2.imshow(window, image_rgb[..., ::-1])
    return cv2.waitKey(wait_ms)
