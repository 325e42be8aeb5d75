"""The README's before/after picture: frame 60 of the campus clip, its background blurred by
the people model, and its cut-out over a striped backdrop (so transparency shows).

    python docs/img/make_people_before_after.py   # -> docs/img/people_before_after.jpg
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import pixelwise as pw
from pixelwise.io.image import write_image
from pixelwise.io.video import open_source

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / "bench" / "data" / "vtest_360x480.mp4"
OUT = REPO / "docs" / "img" / "people_before_after.jpg"
FRAME = 60


def read_frame(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` of a video, RGB."""
    source = open_source(path)
    try:
        for frame in source.frames():
            if frame.index == index:
                return frame.image
    finally:
        source.close()
    raise SystemExit(f"{path}: fewer than {index + 1} frames")


def stripes(h: int, w: int, period: int = 24) -> np.ndarray:
    """Grey and white diagonal stripes, RGB."""
    yy, xx = np.mgrid[:h, :w]
    light = ((xx + yy) // (period // 2)) % 2 == 0
    return np.where(light[..., None], 255, 170).astype(np.uint8).repeat(3, axis=2)


def main() -> None:
    frame = read_frame(CLIP, FRAME)
    res = pw.Segmenter("people", threads=2, backend="onnxruntime")(frame)
    blurred = res.composite(blur=15)
    rgba = res.cutout().astype(np.float32)
    alpha = rgba[..., 3:] / 255.0
    backdrop = stripes(*frame.shape[:2]).astype(np.float32)
    cut = (rgba[..., :3] * alpha + backdrop * (1 - alpha)).round().astype(np.uint8)
    picture = np.concatenate([frame, blurred, cut], axis=1)
    write_image(OUT, picture, quality=85)
    print(f"wrote {OUT.relative_to(REPO)} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
