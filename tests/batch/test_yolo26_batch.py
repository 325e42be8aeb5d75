"""`pixelwise batch` on the YOLO26 instance exports (classic and end-to-end heads).

Each image's index record (objects per class, areas) and class-id mask PNG must be what
``Segmenter(model=that file)`` gives in-process for the same image. The semantic export's
batch run is checked against Ultralytics' own class maps in tests/adapters/test_yolo26_exports.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import pixelwise as pw
from tests.conftest import SHARED

YOLO26 = SHARED / "models" / "yolo26"
VAL = SHARED / "datasets" / "camvid" / "val"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["yolo26n-seg-camvid-320.onnx", "yolo26n-seg-e2e-camvid-320.onnx"])
def test_batch_on_an_instance_export_records_the_in_process_objects(cli, tmp_path, name):
    model = YOLO26 / name
    images = [p.resolve() for p in sorted(VAL.glob("*.png"))[:3]] if VAL.is_dir() else []  # batch keys resolved paths
    if not model.is_file() or len(images) < 3:
        pytest.skip(f"{model} or CamVid val not found (../shared; CI has it)")
    (tmp_path / "list.txt").write_text("".join(f"{p}\n" for p in images))
    r = cli("batch", tmp_path / "list.txt", "--out", tmp_path / "out", "--model", model, "--workers", "1",
            "--threads", "1", "--quiet")
    assert r.returncode == 0, r.stderr
    index = (tmp_path / "out" / "index.jsonl").read_text().splitlines()
    records = {d["path"]: d for d in map(json.loads, index)}
    assert sorted(records) == [str(p) for p in images]
    seg = pw.Segmenter(model, threads=1)
    for path in images:
        rec, ours = records[str(path)], seg(path)
        assert rec["status"] == "ok" and (rec["height"], rec["width"]) == (360, 480)
        doc = ours.to_dict(masks="none")  # the one JSON schema of a Result (DECISIONS 8), masks in the PNG
        del doc["source"], doc["timings_ms"]
        assert {k: rec[k] for k in doc} == doc and set(rec["timings_ms"]) == set(ours.timings_ms)
        mask = np.asarray(Image.open(tmp_path / "out" / rec["mask"]))
        assert (mask == ours.semantic).all()
    assert sum(len(d["instances"]) for d in records.values()) > 0  # objects found, not only empty maps

