from pathlib import Path

import cv2
import numpy as np
import pytest


def frame_colour(k: int) -> tuple[int, int, int]:
    """RGB of frame k: red on even frames, blue on odd ones, brightness encodes k // 2."""
    v = 120 + (k // 2) % 120
    return (v, 10, 10) if k % 2 == 0 else (10, 10, v)


def write_video(path: Path, n: int, hw=(48, 64), fps: float = 25.0) -> Path:
    """A real MJPG/AVI file encoded with OpenCV (lossless enough to keep the colours apart)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (hw[1], hw[0]))
    assert writer.isOpened()
    for k in range(n):
        rgb = np.zeros((*hw, 3), np.uint8)
        rgb[:] = frame_colour(k)
        writer.write(rgb[..., ::-1].copy())
    writer.release()
    return path


def read_video(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(bgr[..., ::-1])
    cap.release()
    return frames


@pytest.fixture
def video(tmp_path) -> Path:
    return write_video(tmp_path / "in.avi", 30)
