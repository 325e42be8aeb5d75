"""Distillation from the teacher: soft targets move with the labels, the loss, the cache."""

from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pixelwise.errors import InputError  # noqa: E402
from pixelwise.train.augment import SOFT_PAD, AugmentConfig, augment_triple  # noqa: E402
from pixelwise.train.loop import TrainConfig, train  # noqa: E402
from pixelwise.train.losses import distillation_loss  # noqa: E402
from tests.builders import make_mask_dataset  # noqa: E402
from tests.conftest import SHARED  # noqa: E402

TINY_NET = {"c1": 8, "c2": 16, "c3": 32, "decoder": 16, "blocks2": 1, "blocks3": 2}
TEACHER = SHARED / "models" / "teachers" / "deeplabv3_257_mv_gpu.tflite"
PEOPLE = SHARED / "datasets" / "people"


@pytest.mark.parametrize("level", ["basic", "strong"])
def test_soft_targets_move_with_the_label(level: str) -> None:
    label = np.zeros((60, 80), np.uint8)
    label[10:50, 20:60] = 1
    soft = (label * 254).astype(np.uint8)
    image = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    cfg = AugmentConfig(crop_hw=(64, 64), scale_range=(0.7, 1.3), level=level, rotate_deg=5.0)
    for seed in range(10):
        img, lab, sft = augment_triple(image, label, soft, cfg, 255, np.random.default_rng(seed))
        assert img.shape == (64, 64, 3) and lab.shape == sft.shape == (64, 64)
        both = (sft != SOFT_PAD) & (lab != 255)
        assert ((sft[both] > 127) == (lab[both] == 1)).mean() > 0.97
        if (lab == 255).any():
            assert (sft[lab == 255] == SOFT_PAD).mean() > 0.9  # padding carries no target


def test_distillation_loss_prefers_agreeing_students_and_ignores_padding() -> None:
    soft = torch.full((1, 4, 4), 254, dtype=torch.uint8)  # the teacher is sure: person everywhere
    agree = torch.tensor([-5.0, 5.0]).view(1, 2, 1, 1).expand(1, 2, 4, 4)
    disagree = -agree
    assert distillation_loss(agree, soft, positive=1) < 0.01 < distillation_loss(disagree, soft, positive=1)
    padded = torch.full((1, 4, 4), SOFT_PAD, dtype=torch.uint8)
    assert float(distillation_loss(disagree, padded, positive=1)) == 0.0


def test_teacher_needs_a_person_dataset(tmp_path) -> None:
    make_mask_dataset(tmp_path / "ds", n=4)  # classes bg, fg
    cfg = TrainConfig(data=tmp_path / "ds" / "dataset.yaml", out=tmp_path / "run", epochs=1, batch=2,
                      crop_hw=(24, 32), threads=1, net=TINY_NET, teacher=tmp_path / "t.tflite")
    with pytest.raises(InputError, match="person"):
        train(cfg, progress=False)


def _few_people(tmp_path, n: int):
    """A people dataset of the first and last ``n`` val photos (train = val); returns its YAML."""
    lines = (PEOPLE / "val.txt").read_text().splitlines()
    (tmp_path / "few.txt").write_text("\n".join(lines[:n] + lines[-n:]) + "\n")
    (tmp_path / "dataset.yaml").write_text(
        f"format: masks\nroot: {PEOPLE}\ntrain: {tmp_path / 'few.txt'}\nval: {tmp_path / 'few.txt'}\n"
        "ignore_index: 255\nclasses:\n  - {id: 0, name: background}\n  - {id: 1, name: person}\n")
    return tmp_path / "dataset.yaml"


def test_train_with_the_teacher_caches_its_targets(tmp_path) -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    if not TEACHER.is_file() or not PEOPLE.is_dir():
        pytest.skip(f"teacher or people data not found under {SHARED}")
    data = _few_people(tmp_path, 3)
    cfg = TrainConfig(data=data, out=tmp_path / "run", epochs=1, batch=2, crop_hw=(64, 64),
                      threads=1, net=TINY_NET, teacher=TEACHER, max_batches=1)
    train(cfg, progress=False)
    cache = tmp_path / "run" / "teacher_targets.npz"
    assert cache.is_file()
    with np.load(cache) as stored:
        assert len(stored["names"]) == 6 and stored["t0"].dtype == np.uint8
    before = cache.stat().st_mtime_ns
    # a second run reads the cache instead of running the teacher again; this one keeps the teacher's
    # term only where it agrees with the labels
    summary = train(replace(cfg, distill_pixels="agree"), progress=False)
    assert cache.stat().st_mtime_ns == before
    assert summary["config"]["distill_pixels"] == "agree" and np.isfinite(summary["rows"][-1]["loss"])


def test_feature_distillation_loss_is_a_cosine_distance_on_the_students_grid() -> None:
    from pixelwise.train.distill import feature_distillation_loss

    teacher = torch.rand(2, 8, 33, 33) + 0.1
    same = torch.nn.functional.interpolate(teacher, size=(20, 20), mode="bilinear", antialias=True)
    assert float(feature_distillation_loss(same * 3.0, teacher)) < 1e-4  # the scale does not matter
    assert abs(float(feature_distillation_loss(-same, teacher)) - 2.0) < 1e-4  # opposite: 2
    ortho = torch.zeros(2, 8, 20, 20)
    ortho[:, 0] = 1.0
    t = torch.zeros(2, 8, 33, 33)
    t[:, 1] = 1.0
    assert abs(float(feature_distillation_loss(ortho, t)) - 1.0) < 1e-4


def test_the_distiller_projection_learns_the_teachers_features() -> None:
    from pixelwise.train.distill import FeatureDistiller

    torch.manual_seed(0)
    student = torch.randn(4, 6, 10, 10)
    mix = torch.randn(6, 12)
    teacher = torch.relu(torch.einsum("nchw,cd->nhwd", student, mix)).numpy().astype(np.float16)
    distiller = FeatureDistiller(6, 12)
    opt = torch.optim.Adam(distiller.parameters(), lr=0.05)
    first = distiller(student, teacher).item()
    for _ in range(100):
        loss = distiller(student, teacher)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


def test_augment_views_draws_as_augment_pair_and_keeps_the_clean_crop() -> None:
    from pixelwise.train.augment import augment_pair, augment_views

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    label = rng.integers(0, 3, (60, 80), dtype=np.uint8)
    cfg = AugmentConfig(crop_hw=(48, 48), scale_range=(0.8, 1.2), level="strong")
    for seed in range(5):
        img_a, lab_a = augment_pair(image, label, cfg, 255, np.random.default_rng(seed))
        img_v, lab_v, clean = augment_views(image, label, cfg, 255, np.random.default_rng(seed))
        assert np.array_equal(img_a, img_v) and np.array_equal(lab_a, lab_v)
        assert clean.shape == img_v.shape and clean.dtype == np.uint8
    flat = np.full((60, 80, 3), (90, 140, 200), np.uint8)  # one colour: geometry alone keeps it (or pads 0)
    changed = 0
    for seed in range(5):
        img, _, clean = augment_views(flat, label, cfg, 255, np.random.default_rng(seed))
        colours = {tuple(c) for c in clean.reshape(-1, 3)}
        assert colours <= {(90, 140, 200), (0, 0, 0)}
        changed += int(not np.array_equal(img, clean))
    assert changed >= 4  # the student's view is the photometrically changed one


def test_feature_distillation_on_a_multiclass_dataset_trains_resumes_and_never_ships(tmp_path) -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    if not TEACHER.is_file():
        pytest.skip(f"teacher not found under {SHARED}")
    from safetensors import safe_open

    make_mask_dataset(tmp_path / "ds", n=4)  # two classes, neither a person: --distill person refuses it
    cfg = TrainConfig(data=tmp_path / "ds" / "dataset.yaml", out=tmp_path / "run", epochs=1, batch=2,
                      crop_hw=(32, 32), threads=1, net=TINY_NET, teacher=TEACHER, distill="features",
                      distill_weight=1.0, max_batches=2)
    summary = train(cfg, progress=False)
    assert np.isfinite(summary["rows"][0]["loss"])
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    assert state["distiller"]["project.weight"].shape == (256, TINY_NET["c3"], 1, 1)
    with safe_open(str(tmp_path / "run" / "last.safetensors"), "pt") as f:
        assert not any("project" in k for k in f.keys())  # the projection is training-only
    first = state["distiller"]["project.weight"].clone()
    resumed = train(TrainConfig(**{**cfg.__dict__, "epochs": 2, "resume": True}), progress=False)
    assert [r["epoch"] for r in resumed["rows"]] == [1, 2]
    after = torch.load(tmp_path / "run" / "last.pt", weights_only=False)["distiller"]["project.weight"]
    moved = (after - first).abs().max().item()
    assert 0 < moved < 0.1 * first.abs().max().item() + 0.05  # epoch 2 went on from epoch 1's projection
    with pytest.raises(InputError, match="--distill features"):
        train(TrainConfig(**{**cfg.__dict__, "epochs": 3, "resume": True, "teacher": None, "distill": "person"}),
              progress=False)


def test_the_feature_term_reaches_the_loss(tmp_path) -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    if not TEACHER.is_file():
        pytest.skip(f"teacher not found under {SHARED}")
    make_mask_dataset(tmp_path / "ds", n=4)
    losses = []
    for weight in (0.0, 1.0):
        cfg = TrainConfig(data=tmp_path / "ds" / "dataset.yaml", out=tmp_path / f"run{weight}", epochs=1, batch=2,
                          crop_hw=(32, 32), threads=1, net=TINY_NET, teacher=TEACHER, distill="features",
                          distill_weight=weight, max_batches=2)
        losses.append(train(cfg, progress=False)["rows"][0]["loss"])
    assert losses[1] > losses[0] + 0.05  # same seed and batches: the difference is the cosine term


def test_a_soft_map_does_not_change_the_crops_draws() -> None:
    from pixelwise.train.augment import augment_sample

    label = np.zeros((60, 80), np.uint8)
    label[10:50, 20:60] = 1
    image = np.random.default_rng(1).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    cfg = AugmentConfig(crop_hw=(48, 48), scale_range=(0.7, 1.3), level="mixed")
    for seed in range(8):
        plain = augment_sample(image, label, None, cfg, 255, np.random.default_rng(seed))
        soft = augment_sample(image, label, (label * 254).astype(np.uint8), cfg, 255, np.random.default_rng(seed))
        assert plain[2] is None and soft[2] is not None and soft[2].shape == (48, 48)
        for a, b in ((plain[0], soft[0]), (plain[1], soft[1]), (plain[3], soft[3])):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("term", "state_key"), [("features", "distiller"), ("classes", "class_distiller")])
def test_person_distillation_with_another_term(tmp_path, term: str, state_key: str) -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    if not TEACHER.is_file() or not PEOPLE.is_dir():
        pytest.skip(f"teacher or people data not found under {SHARED}")
    data = _few_people(tmp_path, 2)
    both = f"person+{term}"
    losses = {}
    for mode in ("person", both):
        cfg = TrainConfig(data=data, out=tmp_path / mode, epochs=1, batch=2, crop_hw=(64, 64),
                          threads=1, net=TINY_NET, teacher=TEACHER, distill=mode, distill_weight=1.0, max_batches=1)
        losses[mode] = train(cfg, progress=False)["rows"][0]["loss"]
    assert (tmp_path / both / "teacher_targets.npz").is_file()  # the soft person targets are used ...
    state = torch.load(tmp_path / both / "last.pt", weights_only=False)
    assert {k for k in ("distiller", "class_distiller") if k in state} == {state_key}  # ... and the other term
    assert losses[both] > losses["person"] + 0.05  # same seed and batches: plus the other term
    with pytest.raises(InputError, match="--distill person"):  # a resumed run keeps its distillation
        train(replace(cfg, epochs=2, resume=True, distill=term), progress=False)


def test_features_without_a_teacher_is_refused(tmp_path) -> None:
    with pytest.raises(InputError, match="needs --teacher"):
        TrainConfig(data=tmp_path, out=tmp_path, distill="features")


def test_an_unknown_distill_mode_is_refused(tmp_path) -> None:
    with pytest.raises(InputError, match="distill must be one of"):
        TrainConfig(data=tmp_path, out=tmp_path, distill="logits")


def test_distillation_loss_with_labels_keeps_only_pixels_where_the_teacher_agrees() -> None:
    soft = torch.tensor([[[254, 0, 254, 0]]], dtype=torch.uint8)  # the teacher: person, bg, person, bg
    labels = torch.tensor([[[1, 1, 255, 0]]])  # pixel 1: a person the teacher missed; pixel 2: void
    student = torch.tensor([-5.0, 5.0]).view(1, 2, 1, 1).expand(1, 2, 1, 4)  # says person everywhere
    per = [float(distillation_loss(student[..., i:i + 1], soft[..., i:i + 1], positive=1)) for i in range(4)]
    kept = float(distillation_loss(student, soft, positive=1, labels=labels, ignore=255))
    assert abs(kept - (per[0] + per[2] + per[3]) / 3) < 1e-5  # the missed person (pixel 1) is dropped
    assert float(distillation_loss(student, soft, positive=1)) > kept  # without labels it counts
    none_agree = torch.tensor([[[0, 1, 0, 1]]])
    assert float(distillation_loss(student, soft, positive=1, labels=none_agree)) == 0.0


def test_class_distillation_loss_is_a_kl_divergence_on_the_students_grid() -> None:
    from pixelwise.train.distill import class_distillation_loss

    torch.manual_seed(0)
    teacher = torch.softmax(torch.randn(2, 21, 8, 8) * 3, dim=1)
    assert float(class_distillation_loss(torch.log(teacher), teacher)) == pytest.approx(0.0, abs=1e-5)
    other = torch.randn(2, 21, 8, 8)
    assert float(class_distillation_loss(other, teacher)) > 0.1
    # the teacher's grid is resized to the student's: a constant map is the same on any grid
    flat = torch.zeros(1, 21, 33, 33)
    flat[:, 12] = 1.0  # the teacher: a dog everywhere
    sure = torch.full((1, 21, 16, 16), -10.0)
    sure[:, 12] = 10.0
    assert float(class_distillation_loss(sure, flat)) < 1e-3 < float(class_distillation_loss(-sure, flat))
    # KL(teacher || student), not the reverse: t = (.5, .5), s = (.25, .75) gives 0.1438 (the reverse 0.1308)
    t = torch.tensor([0.5, 0.5]).view(1, 2, 1, 1)
    s = torch.log(torch.tensor([0.25, 0.75])).view(1, 2, 1, 1)
    assert float(class_distillation_loss(s, t)) == pytest.approx(0.5 * np.log(2) + 0.5 * np.log(2 / 3), abs=1e-5)


def test_class_distillation_loss_leaves_out_padding() -> None:
    from pixelwise.train.distill import class_distillation_loss

    teacher = torch.zeros(1, 21, 8, 8)
    teacher[:, 0] = 1.0  # background everywhere
    student = torch.full((1, 21, 4, 4), -10.0)
    student[:, 0] = 10.0
    student[:, :, :, 2:] = -student[:, :, :, 2:]  # wrong on the right half of the grid
    valid = torch.ones(1, 16, 16, dtype=torch.bool)
    valid[:, :, 8:] = False  # ... which is padding in the crop
    assert float(class_distillation_loss(student, teacher)) > 5.0
    assert float(class_distillation_loss(student, teacher, valid)) < 1e-3
    assert float(class_distillation_loss(student, teacher, torch.zeros_like(valid))) == 0.0


def test_the_class_head_learns_the_teachers_classes() -> None:
    from pixelwise.train.distill import ClassDistiller

    torch.manual_seed(0)
    student = torch.randn(4, 6, 10, 10)
    teacher = torch.softmax(torch.einsum("nchw,cd->nhwd", student, torch.randn(6, 21)) * 2, dim=-1)
    head = ClassDistiller(6, 21)
    opt = torch.optim.Adam(head.parameters(), lr=0.05)
    first = head(student, teacher.numpy().astype(np.float16)).item()
    for _ in range(150):
        loss = head(student, teacher.numpy().astype(np.float16))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * first


def test_class_distillation_trains_resumes_and_never_ships(tmp_path) -> None:
    pytest.importorskip("ai_edge_litert", reason="the train extra (ai-edge-litert) is not installed")
    if not TEACHER.is_file():
        pytest.skip(f"teacher not found under {SHARED}")
    from safetensors import safe_open

    make_mask_dataset(tmp_path / "ds", n=4)  # two classes, neither a person
    configs = {mode: TrainConfig(data=tmp_path / "ds" / "dataset.yaml", out=tmp_path / mode, epochs=1, batch=2,
                                 crop_hw=(32, 32), threads=1, net=TINY_NET, teacher=TEACHER, distill=mode,
                                 distill_weight=1.0, max_batches=2)
               for mode in ("features", "features+classes", "classes")}
    losses = {mode: train(cfg, progress=False)["rows"][0]["loss"] for mode, cfg in configs.items()}
    cfg = configs["features+classes"]
    assert losses["features+classes"] > losses["features"] + 0.05  # same seed and batches: plus the KL term
    assert np.isfinite(losses["classes"])
    # the class term reaches the student's own weights, not only its training-only head
    with safe_open(str(tmp_path / "features" / "last.safetensors"), "pt") as a, \
            safe_open(str(tmp_path / "features+classes" / "last.safetensors"), "pt") as b:
        assert not torch.equal(a.get_tensor("head.weight"), b.get_tensor("head.weight"))
        assert not torch.equal(a.get_tensor("fuse1.0.0.weight"), b.get_tensor("fuse1.0.0.weight"))
    state = torch.load(tmp_path / "features+classes" / "last.pt", weights_only=False)
    assert state["class_distiller"]["classify.weight"].shape == (21, TINY_NET["decoder"], 1, 1)
    assert state["distiller"]["project.weight"].shape == (256, TINY_NET["c3"], 1, 1)
    with safe_open(str(tmp_path / "features+classes" / "last.safetensors"), "pt") as f:
        assert not any("classify" in k or "project" in k for k in f.keys())  # the heads are training-only
    first = state["class_distiller"]["classify.weight"].clone()
    resumed = train(replace(cfg, epochs=2, resume=True), progress=False)
    assert [r["epoch"] for r in resumed["rows"]] == [1, 2]
    after = torch.load(tmp_path / "features+classes" / "last.pt", weights_only=False)["class_distiller"]
    assert 0 < (after["classify.weight"] - first).abs().max().item() < 0.1  # went on from epoch 1's head
    with pytest.raises(InputError, match="trained with --distill features\\+classes, not features"):
        train(replace(cfg, epochs=3, resume=True, distill="features"), progress=False)


@pytest.mark.parametrize("mode", ["classes+person", "features+person", "person+person", "classes+"])
def test_distill_terms_come_once_each_in_their_order(tmp_path, mode: str) -> None:
    from pixelwise.train.choices import DISTILL_MODES, distils_classes

    assert "person+features+classes" in DISTILL_MODES and distils_classes("person+classes")
    assert not distils_classes("person+features")
    with pytest.raises(InputError, match="distill must be one of"):
        TrainConfig(data=tmp_path, out=tmp_path, distill=mode, teacher=tmp_path / "t.tflite")
