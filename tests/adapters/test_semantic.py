import numpy as np
import pytest

from pixelwise.adapters import ADAPTERS, get_adapter
from pixelwise.adapters.semantic import SemanticAdapter, outputs_read
from pixelwise.errors import ModelError
from pixelwise.ops.letterbox import resize_to_input
from pixelwise.spec import ModelSpec

SPEC = ModelSpec(classes=("a", "b", "c"))


def _transform(src_hw, input_hw, mode="stretch"):
    return resize_to_input(np.zeros((*src_hw, 3), np.uint8), input_hw, mode)[1]


def test_registry_lists_valid_names_on_error():
    assert ADAPTERS["semantic"] is SemanticAdapter
    with pytest.raises(ModelError, match="valid: semantic"):
        get_adapter("nope")


def test_quarter_resolution_logits_are_upsampled_to_the_source():
    logits = np.zeros((1, 3, 16, 24), np.float32)
    logits[0, 2, :, 12:] = 5.0
    d = SemanticAdapter.postprocess({"logits": logits}, _transform((90, 120), (64, 96)), SPEC, confidence=True)
    assert d.semantic.shape == (90, 120) and d.semantic.dtype == np.uint8
    assert (d.semantic[:, :55] == 0).all() and (d.semantic[:, 65:] == 2).all()
    assert d.confidence.shape == (90, 120) and d.confidence.max() <= 1.0


def test_class_id_outputs_are_resized_nearest():
    ids = np.zeros((1, 32, 48), np.int64)
    ids[0, :, 24:] = 1
    d = SemanticAdapter.postprocess({"ids": ids}, _transform((64, 96), (32, 48)), SPEC)
    assert d.semantic.shape == (64, 96) and (d.semantic[:, 48:] == 1).all() and (d.semantic[:, :48] == 0).all()


def test_labels_output_is_used_when_the_image_has_the_input_size():
    labels = np.full((1, 32, 48), 1, np.uint8)
    logits = np.zeros((1, 3, 8, 12), np.float32)
    d = SemanticAdapter.postprocess({"logits": logits, "labels": labels}, _transform((32, 48), (32, 48)), SPEC)
    assert (d.semantic == 1).all()
    d2 = SemanticAdapter.postprocess({"logits": logits, "labels": labels}, _transform((64, 96), (32, 48)), SPEC)
    assert (d2.semantic == 0).all()  # logits path when sizes differ


def test_letterboxed_models_drop_padding_before_resizing():
    spec = ModelSpec(classes=("a", "b"), resize="letterbox")
    t = _transform((50, 100), (64, 64), "letterbox")  # content 32x64 at rows 16..48
    logits = np.zeros((1, 2, 64, 64), np.float32)
    logits[0, 1, 16:48, :] = 1.0  # class b exactly on the content
    d = SemanticAdapter.postprocess({"logits": logits}, t, spec)
    assert (d.semantic == 1).all()


def test_bad_output_rank_raises():
    with pytest.raises(ValueError, match="semantic output"):
        SemanticAdapter.postprocess({"x": np.zeros((1, 3), np.float32)}, _transform((4, 4), (4, 4)), SPEC)


@pytest.mark.parametrize("shape", [(32, 48), (1, 32, 48), (1, 1, 32, 48)])
def test_class_ids_with_or_without_batch_and_channel_axes(shape):
    ids = np.zeros((32, 48), np.int32)
    ids[:, 24:] = 2
    d = SemanticAdapter.postprocess({"ids": ids.reshape(shape)}, _transform((64, 96), (32, 48)), SPEC)
    assert d.semantic.shape == (64, 96) and (d.semantic[:, 48:] == 2).all() and (d.semantic[:, :48] == 0).all()


def test_class_ids_have_no_confidence_map():
    from pixelwise.errors import InputError

    ids = np.zeros((1, 32, 48), np.uint8)
    with pytest.raises(InputError, match="class ids only"):
        SemanticAdapter.postprocess({"ids": ids}, _transform((64, 96), (32, 48)), SPEC, confidence=True)


def test_empty_logits_are_a_model_error():
    with pytest.raises(ModelError, match="empty spatial size"):
        SemanticAdapter.postprocess({"logits": np.zeros((1, 3, 0, 0), np.float32)}, _transform((8, 8), (8, 8)), SPEC)


def test_labels_are_read_only_for_an_image_of_the_input_size_without_confidence():
    same = resize_to_input(np.zeros((64, 96, 3), np.uint8), (64, 96), "stretch")[1]
    other = resize_to_input(np.zeros((60, 96, 3), np.uint8), (64, 96), "stretch")[1]
    both = ["logits", "labels"]
    assert outputs_read(both, same, confidence=False) == both
    assert outputs_read(both, same, confidence=True) == ["logits"]
    assert outputs_read(both, other, confidence=False) == ["logits"]
    assert outputs_read(["labels"], other, confidence=False) == ["labels"]  # ids only: the one answer there is
    assert outputs_read(["out"], other, confidence=True) == ["out"]


@pytest.mark.parametrize(("dynamic", "blob_hw"), [(True, (256, 320)), (False, (320, 320))])
def test_dynamic_letterboxed_models_get_the_smallest_stride_multiple_canvas(dynamic, blob_hw):
    spec = ModelSpec(classes=("a", "b"), resize="letterbox", input_hw=(320, 320), dynamic=dynamic, stride=32)
    blob, t = SemanticAdapter.preprocess(np.zeros((480, 640, 3), np.uint8), spec, spec.input_hw)
    assert blob.shape == (1, 3, *blob_hw) and t.input_hw == blob_hw
    logits = np.zeros((1, 2, *blob_hw), np.float32)
    logits[0, 1, t.pad_tl[0]:t.pad_tl[0] + 240, :] = 1.0  # class b exactly on the 240x320 content
    assert (SemanticAdapter.postprocess({"logits": logits}, t, spec).semantic == 1).all()


@pytest.mark.parametrize("pad_value", [0, 114])
def test_letterbox_padding_has_the_specs_grey(pad_value):
    spec = ModelSpec(classes=("a",), resize="letterbox", input_hw=(64, 64), pad_value=pad_value,
                     mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))
    blob, t = SemanticAdapter.preprocess(np.full((32, 64, 3), 255, np.uint8), spec, spec.input_hw)
    assert t.pad_tl == (16, 0)
    assert np.allclose(blob[0, :, :16], pad_value / 255) and np.allclose(blob[0, :, 16:48], 1.0)
