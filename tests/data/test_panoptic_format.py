"""COCO panoptic format: id colours, the JSON document, and a write/read round trip."""

import json

import numpy as np
import pytest

from pixelwise.data.panoptic_format import (
    categories,
    ids_to_rgb,
    read_coco_panoptic,
    rgb_to_ids,
    to_coco_panoptic,
    write_coco_panoptic,
)
from pixelwise.result import Result
from pixelwise.spec import ModelSpec

SPEC = ModelSpec(classes=("road", "car", "person"), things=("car", "person"), name="toy")


def _result():
    sem = np.zeros((40, 60), np.uint8)
    sem[5:15, 5:25] = 1
    sem[20:30, 40:44] = 2
    return Result(image=np.zeros((40, 60, 3), np.uint8), semantic=sem, spec=SPEC, min_area=20, path="dir/street.jpg")


@pytest.mark.parametrize("sid, rgb", [(0, (0, 0, 0)), (1, (1, 0, 0)), (256, (0, 1, 0)), (65536, (0, 0, 1)),
                                      (1 + 2 * 256 + 3 * 65536, (1, 2, 3)), (256**3 - 1, (255, 255, 255))])
def test_id_is_r_plus_256_g_plus_256_squared_b(sid, rgb):
    out = ids_to_rgb(np.array([[sid]]))
    assert out.dtype == np.uint8 and tuple(out[0, 0]) == rgb
    assert rgb_to_ids(out)[0, 0] == sid


def test_ids_outside_24_bits_are_refused():
    with pytest.raises(ValueError, match="segment ids"):
        ids_to_rgb(np.array([[256**3]]))


def test_categories_carry_isthing_and_ids_from_one():
    cats = categories(SPEC)
    assert [(c["id"], c["name"], c["isthing"]) for c in cats] == [(1, "road", 0), (2, "car", 1), (3, "person", 1)]


def test_document_matches_the_png_and_the_result():
    res = _result()
    pan = res.to_coco_panoptic(image_id=7)
    seg, info = res.panoptic()
    assert (rgb_to_ids(pan.png) == seg).all()
    ann = pan.doc["annotations"][0]
    assert ann["image_id"] == 7 and ann["file_name"] == "street_panoptic.png"
    assert pan.doc["images"][0] == {"id": 7, "file_name": "street.jpg", "height": 40, "width": 60}
    assert [(s["id"], s["category_id"], s["isthing"], s["iscrowd"]) for s in ann["segments_info"]] == [
        (1, 1, 0, 0), (2, 2, 1, 0), (3, 3, 1, 0)]
    assert ann["segments_info"][1]["area"] == 200 and ann["segments_info"][1]["bbox"] == [5.0, 5.0, 20.0, 10.0]
    assert to_coco_panoptic(res, file_name="x.png").doc["annotations"][0]["file_name"] == "x.png"


def test_write_and_read_back(tmp_path):
    res = _result()
    png, doc = write_coco_panoptic(tmp_path / "out", "street", res)
    assert png.name == "street_panoptic.png" and doc.name == "street_panoptic.json"
    seg, info = read_coco_panoptic(doc)
    expected, _ = res.panoptic()
    assert (seg == expected).all()
    assert [s["id"] for s in info] == [1, 2, 3]
    assert json.loads(doc.read_text())["categories"][1]["isthing"] == 1
    assert not list((tmp_path / "out").glob(".*.tmp"))
