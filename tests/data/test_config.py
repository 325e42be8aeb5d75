import numpy as np
import pytest
from PIL import Image

from pixelwise.data.config import load_dataset_config
from pixelwise.data.masks import list_pairs, read_mask, read_pair
from pixelwise.errors import DatasetError
from tests.builders import make_mask_dataset  # re-exported for older imports


def test_camvid_yaml_loads(camvid):
    from tests.conftest import CAMVID_YAML

    cfg = load_dataset_config(CAMVID_YAML)
    assert cfg.num_classes == 11 and cfg.ignore_index == 11 and cfg.things == ("car", "pedestrian", "bicyclist")
    assert cfg.colours[3] == (128, 64, 128)
    pairs = list_pairs(cfg.train, cfg.root)
    assert len(pairs) == 367
    img, lab = read_pair(*pairs[0])
    assert img.shape == (360, 480, 3) and lab.shape == (360, 480)


def test_folder_dataset(tmp_path):
    cfg = load_dataset_config(make_mask_dataset(tmp_path))
    assert cfg.classes == ("bg", "fg") and len(list_pairs(cfg.train, cfg.root)) == 4
    assert load_dataset_config(tmp_path).source == tmp_path / "dataset.yaml"  # a folder works too


@pytest.mark.parametrize("text, message", [
    ("format: masks\nroot: .\nclasses: []\n", "'classes' must be a non-empty list"),
    ("format: parquet\nroot: .\nclasses: [a]\n", "unknown format 'parquet'"),
    ("format: masks\nroot: nowhere\nclasses: [a]\n", "does not exist"),
    ("format: masks\nroot: .\nclasses: [{id: 0, name: a}, {id: 2, name: b}]\n", "without gaps"),
    ("format: masks\nroot: .\nclasses: [a]\nthings: [b]\n", "unknown classes"),
    ("format: [\n", "invalid YAML"),
])
def test_bad_configs(tmp_path, text, message):
    (tmp_path / "d.yaml").write_text(text)
    with pytest.raises(DatasetError, match=message):
        load_dataset_config(tmp_path / "d.yaml")


def test_missing_yaml(tmp_path):
    with pytest.raises(DatasetError, match="no such dataset file"):
        load_dataset_config(tmp_path / "none.yaml")


def test_mask_size_mismatch_and_rgb_labels(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "i.png")
    Image.fromarray(np.zeros((5, 4), np.uint8)).save(tmp_path / "l.png")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "rgb.png")
    with pytest.raises(DatasetError, match="label is 5x4 but image i.png is 4x4"):
        read_pair(tmp_path / "i.png", tmp_path / "l.png")
    with pytest.raises(DatasetError, match="single-channel"):
        read_mask(tmp_path / "rgb.png")


def test_list_file_errors(tmp_path):
    (tmp_path / "list.txt").write_text("a.png\n")
    with pytest.raises(DatasetError, match=r"list.txt:1: expected 'image label'"):
        list_pairs(tmp_path / "list.txt", tmp_path)
    (tmp_path / "list.txt").write_text("a.png b.png\n")
    with pytest.raises(DatasetError, match="missing"):
        list_pairs(tmp_path / "list.txt", tmp_path)
