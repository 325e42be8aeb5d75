"""The recipe helpers in training/: fold YAMLs hold out whole sequences; the people mix repeats VOC;
the road + people mix labels the people photos' people as pedestrians and nothing else."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from tests.conftest import SHARED

REPO = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "training" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_folds_hold_out_one_whole_sequence_each(tmp_path: Path) -> None:
    if not (SHARED / "datasets" / "camvid" / "train.txt").is_file():
        pytest.skip(f"CamVid not found under {SHARED}")
    written = _load("make_folds").write_folds(tmp_path)
    assert [p.parent.name for p in written] == ["a", "b"]
    for path, held_out in zip(written, ("0001TP", "0006R0")):
        cfg = yaml.safe_load(path.read_text())
        train = Path(cfg["train"]).read_text().split()
        score = Path(cfg["val"]).read_text().split()
        assert score and all(f"/{held_out}_" in p for p in score)
        assert not any(f"/{held_out}_" in p for p in train)
        assert len(train) // 2 + len(score) // 2 == 367  # every train pair lands on one side


def test_people_mix_repeats_the_voc_photos_only(tmp_path: Path) -> None:
    if not (SHARED / "datasets" / "people" / "train.txt").is_file():
        pytest.skip(f"people data not found under {SHARED}")
    path = _load("make_people_mix").write_mix(tmp_path, voc_repeat=3)
    cfg = yaml.safe_load(path.read_text())
    lines = Path(cfg["train"]).read_text().splitlines()
    base = [ln for ln in (SHARED / "datasets" / "people" / "train.txt").read_text().splitlines() if ln.strip()]
    voc = [ln for ln in base if ln.startswith("voc/")]
    assert len(lines) == len(base) + 2 * len(voc)
    assert sum(ln.startswith("ccp/") for ln in lines) == sum(ln.startswith("ccp/") for ln in base)
    assert Path(cfg["val"]) == (SHARED / "datasets" / "people" / "val.txt").resolve()


def test_people_mix_refuses_a_repeat_below_one(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="1 or more"):
        _load("make_people_mix").write_mix(tmp_path, voc_repeat=0)
    with pytest.raises(SystemExit, match="--animal-extra must be 0 or more, got -1"):
        _load("make_people_mix").write_mix(tmp_path, voc_repeat=1, animal_extra=-1)


def test_people_mix_finds_the_voc_photos_whose_background_has_animals() -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    teacher = SHARED / "models" / "teachers" / "deeplabv3_257_mv_gpu.tflite"
    if not teacher.is_file() or not (SHARED / "datasets" / "people" / "train.txt").is_file():
        pytest.skip(f"teacher or people data not found under {SHARED}")
    lines = ["voc/images/000799.jpg voc/masks/000799.png",  # a horse beside its people
             "voc/images/001420.jpg voc/masks/001420.png",  # a smaller horse among plants
             "ccp/images/0001.jpg ccp/masks/0001.png"]  # one person, no animal
    found = _load("make_people_mix").animal_photos(SHARED / "datasets" / "people", lines, teacher)
    assert found == lines[:2]


def test_road_people_mix_adds_people_photos_as_pedestrians_only(tmp_path: Path) -> None:
    if not (SHARED / "datasets" / "people" / "train.txt").is_file() or not (
            SHARED / "datasets" / "camvid" / "train.txt").is_file():
        pytest.skip(f"CamVid or the people data not found under {SHARED}")
    import cv2
    import numpy as np

    from pixelwise.data.config import load_dataset_config
    from pixelwise.data.formats import read_split

    path = _load("make_road_people_mix").write_mix(REPO / "configs" / "camvid.yaml", tmp_path / "mix", share=0.02)
    cfg = load_dataset_config(path)
    train, val = read_split(cfg, "train"), read_split(cfg, "val")
    people = [s for s in train.samples if "/people/" in str(s.image)]
    assert len(train.samples) == 367 + len(people) and len(people) == round(0.02 * 367)
    road_val = read_split(load_dataset_config(REPO / "configs" / "camvid.yaml"), "val").samples
    assert [s.image.resolve() for s in val.samples] == [s.image.resolve() for s in road_val] and len(road_val) == 101
    assert all("/voc/" in str(s.image) for s in people)
    pedestrian = cfg.classes.index("pedestrian")
    person = load_dataset_config(REPO / "configs" / "people.yaml").classes.index("person")
    for sample in people:
        label = sample.semantic_map(cfg.ignore_index)
        source = cv2.imread(str(SHARED / "datasets" / "people" / "voc" / "masks" / f"{sample.image.stem}.png"),
                            cv2.IMREAD_UNCHANGED)
        assert set(np.unique(label)) <= {pedestrian, cfg.ignore_index}
        assert ((label == pedestrian) == (source == person)).all()
    again = _load("make_road_people_mix").write_mix(REPO / "configs" / "camvid.yaml", tmp_path / "mix", share=0.02)
    assert again == path  # re-running into the same folder rewrites it
    with pytest.raises(SystemExit, match="asks for"):
        _load("make_road_people_mix").write_mix(REPO / "configs" / "camvid.yaml", tmp_path / "m2", share=5.0)
    from tests.builders import make_mask_dataset
    from tests.conftest import run_cli_in_process

    masks = make_mask_dataset(tmp_path / "m", classes=("bg", "pedestrian"))
    assert run_cli_in_process("convert", str(masks), "--to", "labelme", "--out", str(tmp_path / "lm")).returncode == 0
    with pytest.raises(SystemExit, match="must be a mask dataset"):  # polygons: no label maps to list
        _load("make_road_people_mix").write_mix(tmp_path / "lm" / "dataset.yaml", tmp_path / "m3", share=0.5)
