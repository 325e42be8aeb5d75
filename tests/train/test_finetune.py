"""Fine-tuning the shipped model on users' data beats training from scratch for the same budget."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pixelwise.data.annotations import LabelledSet, Sample  # noqa: E402
from pixelwise.data.config import load_dataset_config  # noqa: E402
from pixelwise.data.formats import read_split, write_dataset  # noqa: E402
from pixelwise.train.loop import TrainConfig, train  # noqa: E402
from pixelwise.weights import default_weights_path  # noqa: E402
from tests.conftest import CAMVID_YAML  # noqa: E402

# CamVid's 11 classes merged into 4; void (11) stays ignored
MERGED = ("flat", "construction", "nature", "object")
LUT = np.full(256, 255, np.uint8)
LUT[[3, 4]] = 0  # road, pavement
LUT[[1, 2, 6, 7]] = 1  # building, pole, sign, fence
LUT[[0, 5]] = 2  # sky, tree
LUT[[8, 9, 10]] = 3  # car, pedestrian, bicyclist


def _merged_labelme(camvid, out):
    val = read_split(load_dataset_config(CAMVID_YAML), "val")
    samples = [Sample(s.image, s.hw, semantic=LUT[s.semantic_map(11)]) for s in val.samples[::3]]
    ds = lambda part: LabelledSet(MERGED, part, colours=((128, 64, 128), (128, 0, 0), (128, 128, 0), (64, 0, 128)),  # noqa: E731
                                  ignore_index=255, things=("object",))
    return write_dataset({"train": ds(samples[:24]), "val": ds(samples[24:])}, "labelme", out)


@pytest.mark.slow
def test_fine_tune_from_default_beats_scratch(camvid, tmp_path):
    data = _merged_labelme(camvid, tmp_path / "lm")
    assert load_dataset_config(data).format == "labelme"
    common = dict(data=data, epochs=8, batch=8, crop_hw=(192, 256), scale_range=(0.75, 1.25), lr=1e-3,
                  val_every=8, threads=2, warmup_epochs=1)
    tuned = train(TrainConfig(out=tmp_path / "tuned", init=default_weights_path(), **common), progress=False)
    scratch = train(TrainConfig(out=tmp_path / "scratch", **common), progress=False)
    print(f"fine-tuned from default: {tuned['best_val_miou']:.1f} mIoU, from scratch: {scratch['best_val_miou']:.1f}")
    assert tuned["best_val_miou"] > scratch["best_val_miou"] + 10, (tuned["best_val_miou"], scratch["best_val_miou"])
    from pixelwise.train.checkpoint import load_weights

    lineage = load_weights(tmp_path / "tuned" / "best.safetensors")[2]["init"]  # the recipe travels with the weights
    _, _, default_meta = load_weights(default_weights_path())
    assert lineage["weights"] == str(default_weights_path())
    assert lineage["command"] == default_meta["train"]["command"] and lineage["init"] == default_meta["init"]
