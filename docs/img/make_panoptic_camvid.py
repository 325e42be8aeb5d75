"""The panoptic picture of docs/panoptic.md and the README: a CamVid val frame through the
default road model with the CamVid YOLO-seg model for the things.

    python docs/img/make_panoptic_camvid.py   # -> docs/img/panoptic_camvid.png (needs ../shared)
"""

from __future__ import annotations

from pathlib import Path

import pixelwise as pw
from pixelwise.io.image import read_image, write_image
from pixelwise.vis.panoptic import draw_panoptic

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
FRAME = SHARED / "datasets" / "camvid" / "val" / "0016E5_07967.png"
THINGS = SHARED / "models" / "yolo" / "yolo11n-seg-camvid-320.onnx"
OUT = REPO / "docs" / "img" / "panoptic_camvid.png"


def main() -> None:
    seg = pw.Segmenter("default", things=str(THINGS), threads=2, backend="onnxruntime")
    res = seg(read_image(FRAME))
    write_image(OUT, draw_panoptic(res))
    print(f"wrote {OUT.relative_to(REPO)} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
