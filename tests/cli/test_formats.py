"""predict --format X writes the datasets convert writes; they come back through the CLI with the same masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from pixelwise.cli.convert_cmd import FORMATS
from tests.builders import make_yolo_onnx


def _scenes(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for k in range(3):
        img = np.zeros((48, 64, 3), np.uint8)
        img[:, : 16 + 8 * k] = (240, 10, 10)
        img[:, 16 + 8 * k :] = (10, 10, 240)
        img[8:24, 36:52] = (10, 240, 10)
        Image.fromarray(img).save(folder / f"scene{k}.png")
        paths.append(folder / f"scene{k}.png")
    return paths


def _back(cli, dataset: Path, tmp_path: Path, fmt: str) -> dict[str, np.ndarray]:
    """convert the dataset back to class-id masks: {stem: mask}."""
    back = tmp_path / f"back-{fmt}"
    r = cli("convert", dataset / "dataset.yaml", "--to", "masks", "--out", back)
    assert r.returncode == 0, r.stderr
    return {p.stem: np.asarray(Image.open(p)) for p in (back / "masks" / "train").glob("*.png")}


def test_semantic_predictions_round_trip_through_every_format(cli, rgb_model, tmp_path):
    images = _scenes(tmp_path / "in")
    out = tmp_path / "out"
    flags = [a for fmt in FORMATS for a in ("--format", fmt)]
    r = cli("predict", *images, "--model", rgb_model, "--backend", "onnxruntime", "--out", out, "--quiet", *flags)
    assert r.returncode == 0, r.stderr
    predicted = {p.stem: np.asarray(Image.open(out / f"{p.stem}_mask.png")) for p in images}
    for fmt in FORMATS:
        doc = yaml.safe_load((out / f"dataset-{fmt}" / "dataset.yaml").read_text())
        assert doc["format"] == fmt and [c["name"] for c in doc["classes"]] == ["red", "green", "blue"]
        got = _back(cli, out / f"dataset-{fmt}", tmp_path, fmt)
        assert sorted(got) == sorted(predicted), fmt
        for stem, mask in predicted.items():
            agree = (got[stem] == mask).mean()
            if fmt in ("masks", "voc"):
                assert agree == 1.0, fmt
            else:  # polygons of each region, rasterised again (largest first, so the green square inside
                assert agree > 0.99, (fmt, agree)  # the blue region survives although polygons have no holes)
    assert (out / "dataset-yolo" / "data.yaml").is_file()  # Ultralytics' own keys, for `yolo data=`
    labelme = sorted(p.name for p in (out / "dataset-labelme" / "train").iterdir())
    assert labelme == sorted([f"scene{k}.json" for k in range(3)] + [f"scene{k}.png" for k in range(3)])


def test_instance_predictions_round_trip_as_yolo_and_labelme(cli, tmp_path):
    model = make_yolo_onnx(tmp_path / "things.onnx", ("person", "car"),
                           [(16, 20, 16, 24, 0, 0.9), (44, 40, 24, 16, 1, 0.8)])
    images = _scenes(tmp_path / "in")[:2]
    out = tmp_path / "out"
    r = cli("predict", *images, "--model", model, "--backend", "onnxruntime", "--out", out, "--quiet",
            "--format", "yolo", "--format", "labelme", "--format", "yolo")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.glob("dataset-*")) == ["dataset-labelme", "dataset-yolo"]
    rows = (out / "dataset-yolo" / "labels" / "train" / "scene0.txt").read_text().splitlines()
    assert sorted(row.split()[0] for row in rows) == ["0", "1"]
    for fmt in ("yolo", "labelme"):
        got = _back(cli, out / f"dataset-{fmt}", tmp_path, fmt)
        for p in images:
            mask = np.asarray(Image.open(out / f"{p.stem}_mask.png"))  # 255 where no object
            assert set(np.unique(mask)) == {0, 1, 255}
            assert (got[p.stem] == mask).mean() > 0.97, fmt


def test_same_file_names_in_two_folders_stay_apart(cli, rgb_model, tmp_path):
    a, b = _scenes(tmp_path / "a")[0], _scenes(tmp_path / "b")[1]
    b = b.rename(b.with_name(a.name))  # b/scene0.png: another image under the same name
    out = tmp_path / "out"
    r = cli("predict", a, b, "--model", rgb_model, "--backend", "onnxruntime", "--out", out, "--format", "masks")
    assert r.returncode == 0, r.stderr
    got = _back(cli, out / "dataset-masks", tmp_path, "masks")
    assert sorted(got) == ["scene0", "scene0_2"]
    assert (got["scene0_2"] == np.asarray(Image.open(out / "scene0_2_mask.png"))).all()


@pytest.mark.parametrize("bad", ["xml", "png"])
def test_unknown_format_is_refused(cli, rgb_model, tmp_path, bad):
    r = cli("predict", _scenes(tmp_path / "in")[0], "--model", rgb_model, "--format", bad, "--out", tmp_path / "o")
    assert r.returncode == 2 and "invalid choice" in r.stderr
