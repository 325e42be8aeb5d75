"""predict --cutout / --blur-background / --replace-background through the CLI."""

from __future__ import annotations

import numpy as np
from PIL import Image

from pixelwise.cli.main import main


def _save(tmp_path, image):
    path = tmp_path / "photo.png"
    Image.fromarray(image).save(path)
    return path


def test_predict_writes_cutout_blur_and_composite(tmp_path, person_model, person_photo, capsys) -> None:
    src = _save(tmp_path, person_photo)
    out = tmp_path / "out"
    code = main(["predict", str(src), "--model", str(person_model), "--out", str(out), "--threads", "1",
                 "--cutout", "--blur-background", "--replace-background", "#0000ff"])
    assert code == 0
    cut = np.array(Image.open(out / "photo_cutout.png"))
    assert cut.shape == (120, 160, 4)
    mask = np.array(Image.open(out / "photo_mask.png"))
    assert ((cut[..., 3] >= 128) == (mask == 1)).mean() > 0.99
    sure = cut[..., 3] == 255
    for name in ("photo_blur.png", "photo_composite.png"):
        img = np.array(Image.open(out / name))
        assert img.shape == (120, 160, 3)
        assert np.array_equal(img[sure], person_photo[sure])
    assert (np.array(Image.open(out / "photo_composite.png"))[:20] == (0, 0, 255)).all()
    assert "no person" not in capsys.readouterr().out


def test_predict_cutout_without_a_person_says_so(tmp_path, person_model, capsys) -> None:
    red = np.zeros((40, 50, 3), np.uint8)
    red[:] = (200, 10, 10)
    src = _save(tmp_path, red)
    assert main(["predict", str(src), "--model", str(person_model), "--out", str(tmp_path / "o"), "--cutout"]) == 0
    assert np.array(Image.open(tmp_path / "o" / "photo_cutout.png"))[..., 3].max() == 0
    assert "no person found: the cut-out is fully transparent" in capsys.readouterr().out


def test_predict_bad_background_colour_exits_2(tmp_path, person_model, person_photo, capsys) -> None:
    src = _save(tmp_path, person_photo)
    code = main(["predict", str(src), "--model", str(person_model), "--out", str(tmp_path / "o"),
                 "--replace-background", "reddish"])
    assert code == 2
    assert "reddish" in capsys.readouterr().err


def test_effects_work_with_a_class_id_model(tmp_path, person_photo) -> None:
    """A model that outputs class ids has no probabilities: the mask refined to the image's edges."""
    from tests.builders import make_semantic_onnx

    spec = {"adapter": "semantic", "input_hw": [64, 96], "classes": ["background", "person", "other"],
            "dynamic": True, "name": "people-ids"}
    model = make_semantic_onnx(tmp_path / "ids.onnx", spec=spec, pool=1, output="ids")
    src = _save(tmp_path, person_photo)
    assert main(["predict", str(src), "--model", str(model), "--out", str(tmp_path / "o"), "--cutout"]) == 0
    alpha = np.array(Image.open(tmp_path / "o" / "photo_cutout.png"))[..., 3]
    mask = np.array(Image.open(tmp_path / "o" / "photo_mask.png"))
    assert ((alpha >= 128) == (mask == 1)).mean() > 0.99
    assert alpha[40:90, 60:100].min() == 255 and alpha[:20].max() == 0
