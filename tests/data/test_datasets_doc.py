"""docs/datasets.md: its YAML example loads and reads, and its error line is the one a NaN gives."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelwise.data.config import load_dataset_config
from pixelwise.data.formats import read_split
from pixelwise.errors import DatasetError

DOC = (Path(__file__).resolve().parents[2] / "docs" / "datasets.md").read_text()


def test_the_yaml_example_reads(tmp_path):
    example = re.search(r"```yaml\n(.*?)```", DOC, flags=re.S).group(1)
    for split in ("train", "val"):
        for sub in ("images", "masks"):
            (tmp_path / sub / split).mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / split / "a.jpg")
        Image.fromarray(np.ones((8, 8), np.uint8)).save(tmp_path / "masks" / split / "a.png")
    (tmp_path / "d.yaml").write_text(example)
    cfg = load_dataset_config(tmp_path / "d.yaml")
    assert cfg.classes == ("road", "car") and cfg.things == ("car",)
    assert (read_split(cfg, "val").samples[0].semantic_map(255) == 1).all()


def test_the_error_example_is_what_a_nan_gives(tmp_path):
    shown = re.search(r"```text\npixelwise: error: (\S+) (.*)\n```", DOC)
    (tmp_path / "images" / "val").mkdir(parents=True)
    (tmp_path / "labels" / "val").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / "val" / "a.png")
    (tmp_path / "labels" / "val" / "a.txt").write_text("0 0 0 1 0 1 1\n0 0 0 1 0 1 1\n0 nan 0 1 0 1 1\n")
    (tmp_path / "d.yaml").write_text("format: yolo\nroot: .\nval: images/val\nclasses: [a]\n")
    with pytest.raises(DatasetError) as err:
        read_split(load_dataset_config(tmp_path / "d.yaml"), "val")
    assert str(err.value).endswith(f"labels/val/a.txt:3: {shown.group(2)}")
