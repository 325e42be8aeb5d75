"""The training-time teacher (DeepLab v3 VOC, TFLite) finds the person in a people photo."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED

TEACHER = SHARED / "models" / "teachers" / "deeplabv3_257_mv_gpu.tflite"
PEOPLE = SHARED / "datasets" / "people"


def test_teacher_person_probability_matches_the_label() -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    if not TEACHER.is_file() or not PEOPLE.is_dir():
        pytest.skip(f"teacher or people data not found under {SHARED}")
    from PIL import Image

    from pixelwise.train.teacher import Teacher

    image_rel, mask_rel = (PEOPLE / "val.txt").read_text().split("\n")[0].split()
    image = np.array(Image.open(PEOPLE / image_rel).convert("RGB"))
    label = np.array(Image.open(PEOPLE / mask_rel))
    prob = Teacher(TEACHER, threads=1)(image)
    assert prob.shape == label.shape and prob.dtype == np.float32
    assert 0.0 <= prob.min() and prob.max() <= 1.0
    valid = label != 255
    pred, true = (prob > 0.5) & valid, (label == 1) & valid
    assert (pred & true).sum() / max((pred | true).sum(), 1) > 0.6


def test_teacher_classes_agree_with_its_person_probability_and_see_animals() -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    if not TEACHER.is_file() or not PEOPLE.is_dir():
        pytest.skip(f"teacher or people data not found under {SHARED}")
    from PIL import Image

    from pixelwise.train.teacher import VOC_ANIMALS, VOC_PERSON, Teacher

    teacher = Teacher(TEACHER, threads=1)
    seen = []
    for rel in ("voc/images/000799.jpg", "ccp/images/0001.jpg"):  # a horse beside its people; street fashion
        image = np.array(Image.open(PEOPLE / rel).convert("RGB"))
        classes, prob = teacher.classes(image), teacher(image)
        assert classes.shape == image.shape[:2] and classes.dtype == np.uint8 and classes.max() <= 20
        person = classes == VOC_PERSON
        assert person.any() and (prob[person] > 1 / 21).all()  # the most likely class has at least 1/21
        seen.append(np.isin(classes, VOC_ANIMALS).mean())
    assert seen[0] > 0.02 and seen[1] < 0.005


def test_missing_teacher_file_is_a_clear_error(tmp_path) -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    from pixelwise.errors import InputError
    from pixelwise.train.teacher import Teacher

    with pytest.raises(InputError, match="no such teacher"):
        Teacher(tmp_path / "nope.tflite")


def test_teacher_features_are_the_aspp_grid_and_follow_the_image() -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    if not TEACHER.is_file() or not PEOPLE.is_dir():
        pytest.skip(f"teacher or people data not found under {SHARED}")
    from PIL import Image

    from pixelwise.train.teacher import FEATURE_CHANNELS, Teacher

    image = np.array(Image.open(PEOPLE / (PEOPLE / "val.txt").read_text().split()[0]).convert("RGB"))
    teacher = Teacher(TEACHER, threads=1, features=True)
    feats = teacher.features(image)
    assert feats.shape == (33, 33, FEATURE_CHANNELS) and feats.dtype == np.float16
    assert feats.min() >= 0 and feats.max() > 0  # after a ReLU, and not all zero
    flipped = teacher.features(np.ascontiguousarray(image[:, ::-1])).astype(np.float32)
    a, b = feats.astype(np.float32), flipped[:, ::-1]  # mirrored features of the mirrored image
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-6)
    assert np.median(cos) > 0.8
    from pixelwise.errors import InputError

    with pytest.raises(InputError, match="features=True"):
        Teacher(TEACHER, threads=1).features(image)


def test_teacher_crop_targets_give_its_features_and_class_probabilities_from_one_run() -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    if not TEACHER.is_file() or not PEOPLE.is_dir():
        pytest.skip(f"teacher or people data not found under {SHARED}")
    import cv2
    from PIL import Image

    from pixelwise.errors import InputError
    from pixelwise.train.teacher import VOC_CLASSES, VOC_PERSON, Teacher

    image_rel, mask_rel = (PEOPLE / "val.txt").read_text().split("\n")[0].split()
    image = np.array(Image.open(PEOPLE / image_rel).convert("RGB"))
    teacher = Teacher(TEACHER, threads=1, features=True)
    feats, probs = teacher.crop_targets(image, features=True, classes=True)
    assert feats.shape == (33, 33, 256)
    assert probs.shape == (33, 33, VOC_CLASSES) and probs.dtype == np.float16
    assert np.allclose(probs.astype(np.float32).sum(axis=2), 1.0, atol=0.01)
    (only,) = teacher.crop_targets(image, classes=True)
    assert np.array_equal(only, probs)
    with pytest.raises(InputError, match="features=True, classes=True or both"):
        teacher.crop_targets(image)
    # the grid's person probability is where the person is: compare with the mask on the same grid
    label = np.array(Image.open(PEOPLE / mask_rel))
    person = cv2.resize((label == 1).astype(np.float32), (33, 33), interpolation=cv2.INTER_AREA) > 0.5
    assert person.any() and (~person).any()
    p = probs[..., VOC_PERSON].astype(np.float32)
    assert p[person].mean() > 0.6 > 0.3 > p[~person].mean()


def test_grid_probabilities_are_the_softmax_of_the_grid_the_output_is_upsampled_from() -> None:
    torch = pytest.importorskip("torch")
    from pixelwise.train.teacher import grid_probabilities

    grid = torch.randn(1, 21, 33, 33) * 4
    output = torch.nn.functional.interpolate(grid, size=(257, 257), mode="bilinear", align_corners=True)
    probs = grid_probabilities(output[0].permute(1, 2, 0).numpy())
    expected = torch.softmax(grid[0], dim=0).permute(1, 2, 0).numpy()
    assert probs.shape == (33, 33, 21) and probs.dtype == np.float16
    assert np.abs(probs.astype(np.float32) - expected).max() < 2e-3
