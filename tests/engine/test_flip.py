"""--flip / flip=: the class probabilities of an image and of its mirror image, averaged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.cli.main import main
from pixelwise.errors import OptionError
from pixelwise.io.image import read_image
from pixelwise.ops.semantic import mean_log_probs
from pixelwise.options import PredictOptions
from pixelwise.spec import ModelSpec
from tests.builders import make_yolo_onnx

ASSET = "src/pixelwise/assets/leuvenA.jpg"


def _mask(path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-3, keepdims=True))
    return e / e.sum(axis=-3, keepdims=True)


def test_mean_log_probs_is_the_log_of_the_mean_softmax() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 4, (1, 5, 6, 7)).astype(np.float32), rng.normal(0, 4, (1, 5, 6, 7)).astype(np.float32)
    out = mean_log_probs(a, b)
    assert out.dtype == np.float32 and out.shape == a.shape
    np.testing.assert_allclose(_softmax(out), (_softmax(a) + _softmax(b)) / 2, atol=1e-6)
    np.testing.assert_allclose(_softmax(mean_log_probs(a)), _softmax(a), atol=1e-6)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return read_image(ASSET)


@pytest.fixture(scope="module")
def flipped_seg() -> pw.Segmenter:
    return pw.Segmenter(threads=1, backend="onnxruntime", precision="fp32", flip=True)


def test_flip_averages_the_image_and_its_mirror(image: np.ndarray, flipped_seg: pw.Segmenter) -> None:
    plain = pw.Segmenter(threads=1, backend="onnxruntime", precision="fp32")(image)
    both = flipped_seg(image, confidence=True)
    assert both.semantic.shape == image.shape[:2]
    changed = (both.semantic != plain.semantic).mean()
    assert 0.0 < changed < 0.15  # a second opinion on some pixels, not another answer
    # averaging is symmetric: the mirror image gets the mirrored answer, which one view alone does not give
    plain_seg = pw.Segmenter(threads=1, backend="onnxruntime", precision="fp32")
    mirrored = np.ascontiguousarray(image[:, ::-1])
    symmetric = (flipped_seg(mirrored).semantic[:, ::-1] == both.semantic).mean()
    assert symmetric > 0.999
    assert (plain_seg(mirrored).semantic[:, ::-1] == plain.semantic).mean() < symmetric
    assert both.confidence is not None and float(both.confidence.min()) >= 1 / len(flipped_seg.spec.classes) - 1e-6


def test_flip_per_call_and_with_min_conf(image: np.ndarray, flipped_seg: pw.Segmenter) -> None:
    seg = pw.Segmenter(threads=1, backend="onnxruntime", precision="fp32")
    assert np.array_equal(seg(image, flip=True).semantic, flipped_seg(image).semantic)
    strict = seg(image, flip=True, min_conf=0.9)
    assert 0.0 < strict.unlabelled_fraction() < 1.0


def test_flip_is_refused_for_models_without_class_scores(tmp_path) -> None:
    yolo = make_yolo_onnx(tmp_path / "yolo.onnx", ("a", "b"), [(32, 32, 20, 20, 0, 0.9)])
    with pytest.raises(OptionError, match=r"no class scores to average; flip \(--flip\)"):
        pw.Segmenter(str(yolo), threads=1, backend="onnxruntime", flip=True)
    ids_only = ModelSpec(adapter="semantic", input_hw=(8, 8), classes=("a", "b"), layout="ids")
    with pytest.raises(OptionError, match="flip"):
        PredictOptions(flip=True).resolve(ids_only)
    with pytest.raises(OptionError, match=r"flip \(--flip\) must be True or False"):
        PredictOptions(flip="yes")


def test_cli_predict_and_batch_take_flip(tmp_path, image: np.ndarray) -> None:
    from pixelwise.batch import read_index

    auto = pw.Segmenter(threads=1)  # what the commands use: backend auto
    flipped, plain = auto(image, flip=True).semantic, auto(image).semantic
    assert main(["predict", ASSET, "--out", str(tmp_path / "p"), "--flip", "--threads", "1"]) == 0
    assert np.array_equal(_mask(tmp_path / "p" / "leuvenA_mask.png"), flipped)
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.jpg").write_bytes(Path(ASSET).read_bytes())
    assert main(["batch", str(tmp_path / "imgs"), "--out", str(tmp_path / "b"), "--flip", "--threads", "1",
                 "--workers", "1", "--quiet"]) == 0
    record = next(iter(read_index(tmp_path / "b").values()))
    mask = _mask(tmp_path / "b" / record["mask"])
    assert np.array_equal(mask, flipped) and not np.array_equal(mask, plain)


def test_flip_with_tiles_and_with_a_things_model(tmp_path, image: np.ndarray) -> None:
    seg = pw.Segmenter(threads=1, backend="onnxruntime", precision="fp32", tile=(256, 256))
    tiled, tiled_flip = seg(image).semantic, seg(image, flip=True).semantic
    assert tiled_flip.shape == image.shape[:2] and 0.0 < (tiled != tiled_flip).mean() < 0.15
    yolo = make_yolo_onnx(tmp_path / "cars.onnx", ("car",), [(32, 32, 20, 20, 0, 0.9)])
    panoptic = pw.Segmenter(threads=1, backend="onnxruntime", precision="fp32", things=str(yolo), flip=True)
    res = panoptic(image)  # the things model runs without flip; the stuff map with it
    assert len(res.instances) == 1 and res.semantic.shape == image.shape[:2]
