"""Training end to end on a tiny synthetic dataset (real torch, real files)."""

import csv
import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pixelwise.errors import InputError  # noqa: E402
from pixelwise.train.augment import AugmentConfig, augment_pair, photometric, random_crop  # noqa: E402
from pixelwise.train.checkpoint import build_from_weights, load_weights  # noqa: E402
from pixelwise.train.loop import TrainConfig, train  # noqa: E402
from pixelwise.train.losses import class_weights, segmentation_loss  # noqa: E402
from tests.builders import make_mask_dataset  # noqa: E402

TINY_NET = {"c1": 8, "c2": 16, "c3": 32, "decoder": 16, "blocks2": 1, "blocks3": 2}


def _cfg(tmp_path, **kw):
    data = tmp_path / "ds" / "dataset.yaml"
    if not data.exists():
        make_mask_dataset(tmp_path / "ds", n=4)
    base = dict(data=data, out=tmp_path / "run", epochs=2, batch=2, crop_hw=(24, 32), lr=1e-2, val_every=1,
                threads=1, net=TINY_NET, warmup_epochs=1)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.slow
def test_train_learns_writes_outputs_and_log(tmp_path):
    summary = train(_cfg(tmp_path, epochs=25, val_every=5, scale_range=(0.9, 1.1)), progress=False)
    out = tmp_path / "run"
    for name in ("last.pt", "best.safetensors", "last.safetensors", "log.csv", "log.png", "summary.json"):
        assert (out / name).is_file(), name
    with (out / "log.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 25 and rows[4]["val_miou"] != "" and rows[3]["val_miou"] == ""
    assert summary["best_val_miou"] > 60.0, summary["best_val_miou"]  # red boxes are easy
    assert json.loads((out / "summary.json").read_text())["epochs"] == 25
    _, config, meta = load_weights(out / "best.safetensors")
    assert config.num_classes == 2 and meta["classes"] == ["bg", "fg"] and "miou" in meta["val"]


def test_resume_continues_where_it_stopped(tmp_path):
    train(_cfg(tmp_path, epochs=1), progress=False)
    first = (tmp_path / "run" / "log.csv").read_text().splitlines()[1]
    summary = train(_cfg(tmp_path, epochs=3, resume=True), progress=False)
    lines = (tmp_path / "run" / "log.csv").read_text().splitlines()
    assert summary["epochs"] == 3 and len(lines) == 4 and lines[1] == first


def test_fine_tune_with_a_different_class_list_rebuilds_the_head(tmp_path):
    train(_cfg(tmp_path, epochs=1), progress=False)
    model, _ = build_from_weights(tmp_path / "run" / "best.safetensors", num_classes=5)
    assert model.head.out_channels == 5 and model.config.num_classes == 5
    old, _, _ = load_weights(tmp_path / "run" / "best.safetensors")
    assert torch.equal(model.state_dict()["stem.0.0.weight"], old["stem.0.0.weight"])  # backbone kept


def test_from_weights_with_net_detail_grows_the_network_and_refuses_other_changes(tmp_path):
    train(_cfg(tmp_path, epochs=1), progress=False)
    plain = tmp_path / "run" / "last.safetensors"
    train(_cfg(tmp_path, epochs=1, init=plain, out=tmp_path / "grown", net={"blocks1": 2}), progress=False)
    tensors, config, _ = load_weights(tmp_path / "grown" / "last.safetensors")
    assert config.blocks1 == 2 and config.c1 == TINY_NET["c1"] and "detail.1.pw2.0.weight" in tensors
    with pytest.raises(InputError, match="trained with another network; resume with the same --net"):
        train(_cfg(tmp_path, epochs=2, resume=True, net={**TINY_NET, "blocks1": 1}), progress=False)
    with pytest.raises(InputError, match="--net can only add detail blocks"):
        train(_cfg(tmp_path, epochs=1, init=plain, out=tmp_path / "wider", net={**TINY_NET, "c1": 16}),
              progress=False)


def test_augment_shapes_and_ignore_padding():
    rng = np.random.default_rng(0)
    img = np.zeros((10, 12, 3), np.uint8)
    lab = np.ones((10, 12), np.uint8)
    ci, cl = random_crop(img, lab, (16, 16), 255, rng)
    assert ci.shape == (16, 16, 3) and (cl[10:] == 255).all() and (cl[:10, :12] == 1).all()
    a, b = augment_pair(img, lab, AugmentConfig(crop_hw=(8, 8)), 255, rng)
    assert a.shape == (8, 8, 3) and b.shape == (8, 8) and a.flags.c_contiguous
    assert photometric(np.full((2, 2, 3), 100, np.uint8), 0.0, rng).tolist() == np.full((2, 2, 3), 100).tolist()


def test_class_weights_favour_rare_classes_and_loss_ignores_void():
    w = class_weights(np.array([1000, 10]))
    assert w[1] > w[0]
    logits = torch.zeros(1, 2, 2, 2, requires_grad=True)
    target = torch.full((1, 8, 8), 255, dtype=torch.long)
    target[0, 0, 0] = 1
    loss = segmentation_loss(logits, target, torch.from_numpy(w), 255, aux=torch.zeros(1, 2, 1, 1))
    assert torch.isfinite(loss) and loss.item() == pytest.approx(np.log(2) * 1.4, rel=1e-4)


def test_strong_augmentation_keeps_shapes_labels_and_is_reproducible() -> None:
    from pixelwise.train.augment import strong_photometric

    img = np.random.default_rng(3).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    lab = np.random.default_rng(4).integers(0, 11, (40, 48), dtype=np.uint8)
    cfg = AugmentConfig(crop_hw=(32, 32), scale_range=(1.0, 1.0), level="strong")
    a1, b1 = augment_pair(img, lab, cfg, 11, np.random.default_rng(7))
    a2, b2 = augment_pair(img, lab, cfg, 11, np.random.default_rng(7))
    assert a1.shape == (32, 32, 3) and a1.dtype == np.uint8 and b1.shape == (32, 32)
    assert np.array_equal(a1, a2) and np.array_equal(b1, b2)  # depends only on the rng
    assert set(np.unique(b1)) <= set(range(12))  # labels keep their ids (rotation fills with ignore)
    outs = [strong_photometric(img, np.random.default_rng(s)) for s in range(20)]
    assert any(not np.array_equal(o, img) for o in outs)
    means = [o.mean() for o in outs]
    assert max(means) - min(means) > 20  # strong: brightness varies well beyond +-30% jitter on average


def test_mixed_augmentation_gives_half_the_crops_the_strong_colours() -> None:
    from pixelwise.train.augment import _photometric

    grey = np.full((16, 16, 3), 128, np.uint8)  # basic jitter keeps its mean within 128 x [0.7, 1.3]

    def beyond_basic(level: str) -> float:
        cfg = AugmentConfig(level=level)
        means = [_photometric(grey, cfg, np.random.default_rng(s)).mean() for s in range(300)]
        return float(np.mean([(m < 0.7 * 128 - 1) or (m > 1.3 * 128 + 1) for m in means]))

    basic, mixed, strong = beyond_basic("basic"), beyond_basic("mixed"), beyond_basic("strong")
    assert basic == 0.0 and 0.3 * strong < mixed < 0.7 * strong


def test_unknown_augmentation_level_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="augmentation level"):
        AugmentConfig(level="extreme")


@pytest.mark.parametrize("loss", ["ohem", "ce+lovasz"])
def test_each_loss_trains_and_is_recorded_with_the_weights(tmp_path, loss) -> None:
    from pixelwise.errors import InputError

    summary = train(_cfg(tmp_path, epochs=1, loss=loss), progress=False)
    _, _, meta = load_weights(tmp_path / "run" / "last.safetensors")
    assert meta["train"]["loss"] == loss and math.isfinite(summary["best_val_miou"])
    with pytest.raises(InputError, match="loss must be one of ce, ohem, ce\\+lovasz"):
        _cfg(tmp_path, loss="focal")


def test_paste_trains_records_the_pasted_classes_and_must_be_a_share(tmp_path) -> None:
    summary = train(_cfg(tmp_path, epochs=1, paste=0.5), progress=False)
    _, _, meta = load_weights(tmp_path / "run" / "last.safetensors")
    assert meta["train"]["paste"] == 0.5 and meta["paste_classes"] == ["fg"]  # the rarer class of bg / fg
    assert math.isfinite(summary["best_val_miou"])
    with pytest.raises(InputError, match="paste is the share of crops .* between 0 and 1, got -0.1"):
        _cfg(tmp_path, paste=-0.1)


def _conv_dtypes_while(fn) -> set:
    """The dtypes of every Conv2d output computed while ``fn`` runs."""
    seen = set()
    hook = torch.nn.modules.module.register_module_forward_hook(
        lambda module, _inputs, output: seen.add(output.dtype) if isinstance(module, torch.nn.Conv2d) else None)
    try:
        fn()
    finally:
        hook.remove()
    return seen


def test_bf16_trains_under_autocast_keeps_float32_weights_and_may_change_on_resume(tmp_path) -> None:
    seen = _conv_dtypes_while(lambda: train(_cfg(tmp_path, epochs=1, precision="bf16"), progress=False))
    assert torch.bfloat16 in seen and torch.float32 in seen  # training steps in bf16; validation in float32
    state, _, meta = load_weights(tmp_path / "run" / "last.safetensors")
    assert meta["train"]["precision"] == "bf16" and {v.dtype for v in state.values()} <= {torch.float32, torch.int64}
    seen = _conv_dtypes_while(lambda: train(_cfg(tmp_path, epochs=2, resume=True), progress=False))
    assert seen == {torch.float32}  # resumed in fp32: a recipe's precision is not part of it
    assert len((tmp_path / "run" / "log.csv").read_text().splitlines()) == 3
    with pytest.raises(InputError, match="precision must be one of fp32, bf16, got 'fp16'"):
        _cfg(tmp_path, precision="fp16")


def test_a_loss_that_is_not_finite_stops_training_and_keeps_the_last_epoch(tmp_path, monkeypatch) -> None:
    from pixelwise.errors import PixelwiseRuntimeError
    from pixelwise.train import loop

    train(_cfg(tmp_path, epochs=1, precision="bf16"), progress=False)
    monkeypatch.setattr(loop, "segmentation_loss", lambda logits, *a, **k: logits.sum() * float("nan"))
    with pytest.raises(PixelwiseRuntimeError, match=r"loss became nan at epoch 2, batch 1; .* resume it with "
                                                     r"--precision fp32"):
        train(_cfg(tmp_path, epochs=2, resume=True, precision="bf16"), progress=False)
    assert len((tmp_path / "run" / "log.csv").read_text().splitlines()) == 2  # epoch 1 kept, nothing of epoch 2


def test_bf16_on_a_cpu_without_bf16_hardware_says_it_will_be_slow(tmp_path, monkeypatch, capsys) -> None:
    from pixelwise.train import loop

    monkeypatch.setattr(loop, "bf16_native", lambda: False)
    train(_cfg(tmp_path, epochs=1, precision="bf16"), progress=True)
    err = capsys.readouterr().err
    assert "this CPU has neither AMX nor AVX512-BF16: --precision bf16 will likely train slower" in err


@pytest.mark.parametrize("change", [{"loss": "ohem"}, {"augment": "strong"}, {"distill_pixels": "agree"},
                                    {"paste": 0.5}])
def test_resume_refuses_a_different_loss_or_augmentation(tmp_path, change) -> None:
    from pixelwise.errors import InputError

    train(_cfg(tmp_path, epochs=1), progress=False)
    key, value = next(iter(change.items()))
    flag = "--" + key.replace("_", "-")
    with pytest.raises(InputError, match=f"trained with {flag} .*, not {value}; resume with the same {flag}"):
        train(_cfg(tmp_path, epochs=2, resume=True, **change), progress=False)


def test_a_run_in_stretches_records_each_stretch_where_it_ran(tmp_path) -> None:
    from pixelwise.machine import cpu_name
    from pixelwise.train.checkpoint import load_state, save_state

    # any epoch passes a limit this short, so each stretch stops after its first epoch: validated and saved
    # although --val-every 3 does not ask for it there
    first = train(_cfg(tmp_path, epochs=4, val_every=3, time_limit=1e-6), progress=False)
    assert not first["finished"] and first["epochs"] == 1 and (tmp_path / "run" / "last.pt").is_file()
    (stretch,) = first["stretches"]
    assert (stretch["first_epoch"], stretch["last_epoch"], stretch["precision"]) == (1, 1, "fp32")
    assert stretch["cpu"] == cpu_name() and stretch["minutes"] * 60 <= 2 * first["rows"][0]["seconds"] + 60
    _, _, meta = load_weights(tmp_path / "run" / "last.safetensors")
    assert meta["epoch"] == 1 and [s["last_epoch"] for s in meta["stretches"]] == [1]
    second = train(_cfg(tmp_path, epochs=4, val_every=3, resume=True, time_limit=1e-6), progress=False)
    assert [(s["first_epoch"], s["last_epoch"]) for s in second["stretches"]] == [(1, 1), (2, 2)]
    assert load_weights(tmp_path / "run" / "last.safetensors")[2]["epoch"] == 2
    state = load_state(tmp_path / "run" / "last.pt")  # a checkpoint from before stretches were recorded
    del state["stretches"]
    save_state(tmp_path / "run" / "last.pt", state)
    last = train(_cfg(tmp_path, epochs=4, val_every=3, resume=True, precision="bf16", time_limit=60),
                 progress=False)
    assert last["finished"] and last["epochs"] == 4
    assert [(s["first_epoch"], s["last_epoch"], s["cpu"], s["precision"]) for s in last["stretches"]] == [
        (1, 2, None, "fp32"), (3, 4, cpu_name(), "bf16")]
    _, _, meta = load_weights(tmp_path / "run" / "last.safetensors")
    assert meta["epoch"] == 4 and [(s["first_epoch"], s["last_epoch"]) for s in meta["stretches"]] == [(1, 2), (3, 4)]
    again = train(_cfg(tmp_path, epochs=4, resume=True), progress=False)  # a finished run adds no stretch
    assert again["finished"] and len(again["stretches"]) == 2


def test_time_limit_must_be_positive(tmp_path) -> None:
    with pytest.raises(InputError, match="time_limit is minutes for this stretch of training, above 0, got -1"):
        _cfg(tmp_path, time_limit=-1)
