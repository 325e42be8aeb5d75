"""--min-conf / min_conf=: low-confidence pixels of a semantic model stay unlabelled."""

from __future__ import annotations

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.cli.main import main
from pixelwise.engine.predictor import unlabel_below

ASSET = "src/pixelwise/assets/leuvenA.jpg"


def test_unlabel_below_sets_only_low_pixels() -> None:
    ids = np.array([[1, 2], [3, 4]], np.uint8)
    conf = np.array([[0.9, 0.2], [0.5, 0.49]], np.float32)
    assert unlabel_below(ids, conf, 0.5, 11).tolist() == [[1, 11], [3, 11]]


@pytest.fixture(scope="module")
def seg() -> pw.Segmenter:
    return pw.Segmenter(threads=1)


def test_min_conf_unlabels_pixels_and_areas_exclude_them(seg: pw.Segmenter) -> None:
    plain = seg(ASSET)
    strict = pw.Segmenter(threads=1, min_conf=0.9)(ASSET)
    unlabelled = strict.semantic == seg.spec.ignore_index
    assert 0.0 < unlabelled.mean() < 1.0
    assert strict.unlabelled_fraction() == pytest.approx(unlabelled.mean())
    assert plain.unlabelled_fraction() == 0.0
    # where a class is kept it is the same class as without the option
    assert np.array_equal(strict.semantic[~unlabelled], plain.semantic[~unlabelled])
    assert sum(a["pixels"] for a in strict.areas().values()) == int((~unlabelled).sum())
    # unlabelled pixels are drawn transparent: the overlay keeps the photo there
    drawn = strict.plot(alpha=0.5, legend=False)
    assert np.array_equal(drawn[unlabelled], strict.image[unlabelled])
    assert not np.array_equal(drawn[~unlabelled], strict.image[~unlabelled])


def test_min_conf_one_unlabels_everything(seg: pw.Segmenter) -> None:
    res = pw.Segmenter(threads=1, min_conf=1.0)(ASSET)
    assert res.unlabelled_fraction() == pytest.approx(1.0, abs=1e-3)
    assert res.areas() == {} or sum(a["fraction"] for a in res.areas().values()) < 1e-3


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_min_conf_out_of_range_is_refused(bad: float) -> None:
    with pytest.raises(pw.errors.InputError, match="min_conf"):
        pw.Segmenter(threads=1, min_conf=bad)


def test_cli_summary_warns_when_most_pixels_are_low_confidence(tmp_path, capsys) -> None:
    assert main(["predict", ASSET, "--out", str(tmp_path), "--min-conf", "0.999", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "below --min-conf" in out
    assert "looks unlike the model's training data" in out
    assert main(["predict", ASSET, "--out", str(tmp_path / "b"), "--threads", "1"]) == 0
    assert "looks unlike" not in capsys.readouterr().out
