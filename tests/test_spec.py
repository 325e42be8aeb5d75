import pytest

from pixelwise.errors import ModelError
from pixelwise.spec import SPEC_VERSION, ModelSpec, default_colours


def test_round_trip_json():
    spec = ModelSpec(classes=("a", "b"), things=("b",), input_hw=(32, 48), scores={"val_miou": 50.0})
    again = ModelSpec.from_json(spec.to_json())
    assert again == spec
    assert again.thing_ids == (1,)
    assert len(again.colours) == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"adapter": "nope"}, "unknown adapter"),
        ({"resize": "crop"}, "unknown resize mode"),
        ({"input_hw": (0, 10)}, "input_hw"),
        ({"pad_value": 256}, "pad_value"),
        ({"pad_value": 1.5}, "pad_value"),
        ({"pad_value": True}, "pad_value"),
        ({"classes": ("a",), "things": ("b",)}, "not in the class list"),
    ],
)
def test_invalid_specs_raise(kwargs, message):
    with pytest.raises(ModelError, match=message):
        ModelSpec(**kwargs)


def test_newer_spec_version_is_refused():
    with pytest.raises(ModelError, match="newer"):
        ModelSpec.from_dict({"spec_version": SPEC_VERSION + 1})


def test_unknown_keys_are_ignored_and_bad_json_is_reported():
    assert ModelSpec.from_dict({"classes": ["x"], "future_field": 1}).classes == ("x",)
    with pytest.raises(ModelError, match="not valid JSON"):
        ModelSpec.from_json("{")


def test_a_spec_without_a_pad_value_pads_with_ultralytics_grey():
    from pixelwise.ops.letterbox import PAD_VALUE

    assert ModelSpec.from_dict({"classes": ["x"]}).pad_value == PAD_VALUE == 114
    assert ModelSpec.from_json(ModelSpec(pad_value=0).to_json()).pad_value == 0


def test_default_colours_are_distinct():
    colours = default_colours(40)
    assert len(set(colours)) == 40
