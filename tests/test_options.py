"""PredictOptions: one validated record of every prediction option (table-driven, as (input, raises))."""

import math

import pytest

from pixelwise.errors import InputError, OptionError
from pixelwise.options import MAX_INPUT_PIXELS, PredictOptions
from pixelwise.spec import ModelSpec


@pytest.fixture
def spec():
    return ModelSpec(adapter="semantic", input_hw=(64, 96), classes=("red", "green", "blue"), dynamic=True)


@pytest.mark.parametrize("changes, message", [
    ({"input_hw": (0, 5)}, r"imgsz \(--imgsz\) must be \(height, width\) with both >= 1, got \(0, 5\)"),
    ({"input_hw": (360,)}, r"imgsz \(--imgsz\) must be \(height, width\)"),
    ({"input_hw": (100000, 100000)}, r"imgsz \(--imgsz\) 100000x100000 has 10000.0 MP, more than the budget of "
                                     r"16.8 MP \(4096x4096\)"),
    ({"tile_hw": (20000, 20000)}, r"tile \(--tile\) 20000x20000 has 400.0 MP, more than the budget"),
    ({"conf": 2}, r"conf \(--conf\) must be a number between 0 and 1, got 2"),
    ({"iou": math.nan}, r"iou \(--iou\) must be a number between 0 and 1"),
    ({"min_conf": -0.1}, r"min_conf \(--min-conf\) must be a number between 0 and 1"),
    ({"max_det": 0}, r"max_det \(--max-det\) must be a whole number >= 1, got 0"),
    ({"min_area": -1}, r"min_area \(--min-area\) must be a whole number >= 0"),
    ({"min_area": 2.5}, r"min_area \(--min-area\) must be a whole number"),
    ({"classes": []}, r"classes \(--classes\) must be one or more class ids or names"),
    ({"classes": [1.5]}, r"classes \(--classes\) must be one or more class ids or names"),
    ({"confidence": "yes"}, r"confidence must be True or False"),
    ({"output_filter": 3}, r"output_filter must be a function"),
])
def test_bad_values_raise_one_clear_error(changes, message):
    with pytest.raises(OptionError, match=message):
        PredictOptions(**changes)
    with pytest.raises(OptionError, match=message):  # per-call changes go through the same checks
        PredictOptions().updated(**changes)


def test_the_budget_is_inclusive_and_sizes_are_normalised():
    side = int(math.isqrt(MAX_INPUT_PIXELS))
    assert PredictOptions(input_hw=[side, side]).input_hw == (side, side)
    assert PredictOptions(classes="red").classes == ("red",)
    assert OptionError.__mro__[1] is InputError  # exit 2 in the CLI


def test_resolve_turns_names_into_ids_and_checks_ids(spec):
    assert PredictOptions(classes=("blue", 0, "1")).resolve(spec).classes == (2, 0, 1)
    with pytest.raises(OptionError, match=r"class id 99 out of range 0..2; the model's classes are: 0 red, 1 green"):
        PredictOptions(classes=(99,)).resolve(spec)
    with pytest.raises(OptionError, match=r"unknown class 'road'; the model's classes are: red, green, blue"):
        PredictOptions(classes=("road",)).resolve(spec)
    fixed = ModelSpec(adapter="semantic", input_hw=(64, 96), classes=("a", "b"), dynamic=False, name="fixed")
    with pytest.raises(OptionError, match="model fixed has a fixed input size 64x96"):
        PredictOptions(input_hw=(32, 32)).resolve(fixed)
    assert PredictOptions(input_hw=(64, 96)).resolve(fixed).input_hw == (64, 96)


def test_updated_takes_field_names_and_the_segmenter_aliases():
    opts = PredictOptions().updated(imgsz=(32, 48), tile=(256, 256), conf=0.5)
    assert (opts.input_hw, opts.tile_hw, opts.conf) == ((32, 48), (256, 256), 0.5)
    with pytest.raises(OptionError, match=r"unknown prediction option 'clases'; the options are: input_hw, "):
        PredictOptions().updated(clases=(1,))


def test_a_record_or_keywords_not_both():
    record = PredictOptions(conf=0.5)
    assert PredictOptions.from_keywords(record, conf=0.25) is record  # keywords at their defaults
    assert PredictOptions.from_keywords(None, imgsz=(32, 32)).input_hw == (32, 32)
    with pytest.raises(OptionError, match=r"either as options= or as keywords, not both \(keywords given: iou\)"):
        PredictOptions.from_keywords(record, iou=0.5)


def test_the_segmenter_keywords_and_the_cli_flags_have_the_records_defaults():
    import argparse
    import inspect
    from dataclasses import fields

    from pixelwise import Segmenter
    from pixelwise.cli.options import add_predict_options, options_from_args

    params = inspect.signature(Segmenter.__init__).parameters
    aliases = {v: k for k, v in {"imgsz": "input_hw", "tile": "tile_hw"}.items()}
    for f in fields(PredictOptions):
        if f.name != "output_filter":
            assert params[aliases.get(f.name, f.name)].default == f.default, f.name
    parser = argparse.ArgumentParser()
    add_predict_options(parser)
    assert options_from_args(parser.parse_args([])) == PredictOptions()
    parsed = options_from_args(parser.parse_args(["--imgsz", "32x48", "--classes", "red, 2", "--low-res-masks"]))
    assert (parsed.input_hw, parsed.classes, parsed.low_res_masks) == ((32, 48), ("red", "2"), True)
