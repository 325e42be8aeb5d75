"""Contract tests: every registered adapter provides the protocol of adapters/base.py."""

import inspect
from types import SimpleNamespace

import numpy as np
import pytest

from pixelwise.adapters import ADAPTERS, KINDS
from pixelwise.errors import ModelError
from pixelwise.spec import ADAPTER_KINDS, ModelSpec

SPEC_ARGS = {"classes": ("a", "b", "c"), "input_hw": (64, 64), "mean": (0, 0, 0), "std": (1, 1, 1)}


def _session(outputs, metadata=None):
    info = [SimpleNamespace(name=n, shape=s, dtype=d) for n, s, d in outputs]
    return SimpleNamespace(source="m.onnx", metadata=metadata or {}, outputs=info,
                           inputs=[SimpleNamespace(name="x", shape=(1, 3, 64, 64), dtype="tensor(float)")])


def test_registry_and_spec_agree_on_names_and_kinds():
    assert set(ADAPTERS) == set(ADAPTER_KINDS)
    for name, adapter in ADAPTERS.items():
        assert adapter.name == name and adapter.kind in KINDS and adapter.kind == ADAPTER_KINDS[name]
        assert ModelSpec(adapter=name, **SPEC_ARGS).kind == adapter.kind
        assert isinstance(adapter.logits, bool) and (adapter.kind == "semantic" or not adapter.logits)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_postprocess_takes_the_options_the_adapter_declares(name):
    adapter = ADAPTERS[name]
    params = inspect.signature(adapter.postprocess).parameters
    assert list(params)[:3] == ["outputs", "transform", "spec"]
    assert set(adapter.options) == set(list(params)[3:])
    assert "confidence" in adapter.options  # the predictor always passes it


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_preprocesses_to_a_float_blob_and_explains_itself(name):
    adapter = ADAPTERS[name]
    spec = ModelSpec(adapter=name, **SPEC_ARGS)
    blob, transform = adapter.preprocess(np.zeros((30, 50, 3), np.uint8), spec, (64, 64))
    assert blob.dtype == np.float32 and blob.shape == (1, 3, 64, 64) and transform.src_hw == (30, 50)
    assert isinstance(adapter.explain(spec), str) and adapter.explain(spec)
    assert adapter.from_metadata(_session([("y", (1, 3, 16, 16), "tensor(float)")])) is None  # no foreign metadata


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_check_refuses_outputs_of_no_known_shape_with_a_model_error(name):
    with pytest.raises(ModelError):
        ADAPTERS[name].check(_session([("y", (1, 192), "tensor(float)")]), ModelSpec(adapter=name, **SPEC_ARGS))


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_outputs_read_are_some_of_the_sessions_outputs_in_their_order(name):
    adapter = ADAPTERS[name]
    _, transform = adapter.preprocess(np.zeros((30, 50, 3), np.uint8), ModelSpec(adapter=name, **SPEC_ARGS), (64, 64))
    for names in (["output0", "output1"], ["logits", "labels"], ["labels", "logits", "extra"]):
        for confidence in (False, True):
            read = adapter.outputs_read(names, transform, confidence)
            assert read and read == [n for n in names if n in read]
