"""`pixelwise train`, `export` and `val` as a user runs them (the CLI in-process)."""

import json

import pytest

pytest.importorskip("torch")

from tests.builders import make_mask_dataset


@pytest.mark.slow
def test_train_resume_export_predict(cli, tmp_path):
    data = make_mask_dataset(tmp_path / "ds", n=4)
    run = tmp_path / "run"
    common = ["--data", data, "--out", run, "--batch", "2", "--crop", "24x32", "--net", "small", "--threads", "1",
              "--val-every", "1"]
    r = cli("train", *common, "--epochs", "1")
    assert r.returncode == 0, r.stderr
    assert "best val mIoU" in r.stdout and "epoch 1/1" in r.stderr
    r = cli("train", *common, "--epochs", "2", "--resume")
    assert r.returncode == 0, r.stderr
    assert "epoch 2/2" in r.stderr and "epoch 1/2 " not in r.stderr  # resumed, not restarted
    r = cli("export", run / "best.safetensors", "--out", tmp_path / "m.onnx", "--imgsz", "24x32", "--int8",
            "--data", data,
            "--calib", "4")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "m_int8.onnx").is_file() and "m_int8.onnx: val mIoU" in r.stdout
    from pixelwise.engine.model import load_model

    _, spec = load_model(tmp_path / "m_int8.onnx")
    assert spec.scores["measured_with"].startswith("onnxruntime") and spec.scores["val_images"] == 4
    assert "mIoU" in cli("val", "--data", data, "--model", tmp_path / "m.onnx").stdout
    r = cli("predict", data.parent / "val" / "images", "--model", tmp_path / "m.onnx", "--out", tmp_path / "p",
            "--quiet")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "p" / "val0.json").read_text())
    assert doc["model"] == "m" and doc["height"] == 24


def test_train_reports_bad_data_in_one_line(cli, tmp_path):
    (tmp_path / "d.yaml").write_text("format: masks\nroot: .\nclasses: [a]\n")
    r = cli("train", "--data", tmp_path / "d.yaml", "--out", tmp_path / "run")
    assert r.returncode == 2 and "needs both 'train' and 'val' splits" in r.stderr and "Traceback" not in r.stderr
    r = cli("train", "--data", tmp_path / "nope.yaml")
    assert r.returncode == 2 and "no such dataset file" in r.stderr
    r = cli("train", "--data", tmp_path / "d.yaml", "--paste", "2")
    assert r.returncode == 2 and "paste is the share of crops" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("content, message", [
    (None, "no such provenance file"),
    ("{'cpu': 1}", "not valid JSON"),
    ("[1, 2]", "must be a JSON object, not list"),
])
def test_export_reports_a_bad_provenance_file_in_one_line(cli, tmp_path, content, message):
    record = tmp_path / "record.json"
    if content is not None:
        record.write_text(content)
    r = cli("export", tmp_path / "w.safetensors", "--out", tmp_path / "m.onnx", "--provenance", record)
    assert r.returncode == 2 and message in r.stderr and str(record) in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "m.onnx").exists()


def test_val_writes_metrics_and_figures(cli, rgb_model, tmp_path):
    from tests.builders import make_mask_dataset

    root = make_mask_dataset(tmp_path / "ds", n=2, classes=("red", "green", "blue"))
    r = cli("val", "--data", root, "--model", rgb_model, "--out", tmp_path / "v", "--instances")
    assert r.returncode == 0, r.stderr
    assert "mIoU" in r.stdout and "mask AP50" in r.stdout
    doc = json.loads((tmp_path / "v" / "metrics.json").read_text())
    assert set(doc) >= {"miou", "pixel_accuracy", "fw_iou", "iou", "instances"}
    for png in ("confusion.png", "iou.png"):
        assert (tmp_path / "v" / png).stat().st_size > 1000


@pytest.mark.slow
def test_static_export_measures_its_score_at_its_own_size(cli, tmp_path):
    data = make_mask_dataset(tmp_path / "ds", n=4)
    run = tmp_path / "run"
    r = cli("train", "--data", data, "--out", run, "--batch", "2", "--crop", "24x32", "--net", "small", "--threads",
            "1", "--val-every", "1", "--epochs", "1")
    assert r.returncode == 0, r.stderr
    r = cli("export", run / "best.safetensors", "--out", tmp_path / "s.onnx", "--static", "16x24")
    assert r.returncode == 0, r.stderr
    assert "were not measured at this size" in r.stdout
    r = cli("export", run / "best.safetensors", "--out", tmp_path / "m.onnx", "--static", "16x24", "--data", data,
            "--int8", "--calib", "4")
    assert r.returncode == 0, r.stderr
    from pixelwise.engine.model import load_model

    for name in ("m.onnx", "m_int8.onnx"):
        session, spec = load_model(tmp_path / name)
        assert session.inputs[0].shape == (1, 3, 16, 24) and not spec.dynamic
        assert spec.scores["val_input_hw"] == [16, 24] and spec.scores["val_miou"] is not None
    _, unmeasured = load_model(tmp_path / "s.onnx")
    assert unmeasured.scores["val_miou"] is None


def test_export_letterbox_for_photos(tmp_path):
    """--resize letterbox: photos of any shape keep their aspect; the spec says so and predict uses it."""
    from pixelwise.cli.main import main
    from pixelwise.engine.model import load_model
    from pixelwise.train.loop import TrainConfig, train

    data = make_mask_dataset(tmp_path / "ds", n=4)
    train(TrainConfig(data=data, out=tmp_path / "run", epochs=1, batch=2, crop_hw=(24, 32), threads=1,
                      net={"c1": 8, "c2": 16, "c3": 32, "decoder": 16, "blocks2": 1, "blocks3": 2}), progress=False)
    out = tmp_path / "m.onnx"
    assert main(["export", str(tmp_path / "run" / "last.safetensors"), "--out", str(out), "--imgsz", "32x32",
                 "--resize", "letterbox"]) == 0
    _, spec = load_model(out)
    assert spec.resize == "letterbox" and spec.input_hw == (32, 32)
    assert main(["predict", str(data.parent / "val" / "images"), "--model", str(out), "--out",
                 str(tmp_path / "p"), "--quiet"]) == 0


def test_train_recipe_options_reach_the_weights(tmp_path):
    """--augment mixed, --paste, --distill-pixels agree and --precision bf16 are passed through and recorded with
    the weights."""
    from pixelwise.cli.main import main
    from pixelwise.train.checkpoint import load_weights

    data = make_mask_dataset(tmp_path / "ds", n=4)
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "run"), "--epochs", "1", "--batch", "2",
                 "--crop", "24x32", "--net", "small", "--threads", "1", "--augment", "mixed",
                 "--paste", "0.25", "--distill-pixels", "agree", "--precision", "bf16"]) == 0
    _, _, meta = load_weights(tmp_path / "run" / "last.safetensors")
    assert meta["train"]["augment"] == "mixed" and meta["train"]["distill_pixels"] == "agree"
    assert meta["train"]["paste"] == 0.25 and meta["train"]["precision"] == "bf16"


def test_train_time_limit_stops_after_an_epoch_and_resume_finishes(tmp_path, capsys):
    from pixelwise.cli.main import main

    data = make_mask_dataset(tmp_path / "ds", n=4)
    args = ["train", "--data", str(data), "--out", str(tmp_path / "run"), "--epochs", "3", "--batch", "2",
            "--crop", "24x32", "--net", "small", "--threads", "1", "--time-limit", "0.0001"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "stopped after epoch 1 of 3: another epoch would end after the time limit of 0.0001 min; continue " \
           "with the same command and --resume" in out
    assert main([*args[:-2], "--resume"]) == 0
    out = capsys.readouterr().out
    assert "stopped" not in out and "after 3 epochs" in out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["finished"] and [(s["first_epoch"], s["last_epoch"]) for s in summary["stretches"]] == [(1, 1),
                                                                                                            (2, 3)]
    assert main([*args[:-1], "0"]) == 2
    assert "time_limit is minutes for this stretch of training, above 0, got 0.0" in capsys.readouterr().err
