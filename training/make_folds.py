"""Write the leave-one-sequence-out folds of CamVid train as dataset YAMLs.

    python training/make_folds.py            # -> runs/folds/{a,b}/dataset.yaml

fold A: train on 0006R0 + 0016E5 (305 images), score on 0001TP (62, dusk)
fold B: train on 0001TP + 0016E5 (266 images), score on 0006R0 (101, daylight)

Each fold's "val" is the held-out sequence; a run on a fold reports its *last* epoch on it
(never the best), so the score guides recipe choices without choosing checkpoints.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOLDS = {"a": "0001TP", "b": "0006R0"}


def write_folds(out: Path, base_yaml: Path = REPO / "configs" / "camvid.yaml") -> list[Path]:
    import yaml

    base = yaml.safe_load(base_yaml.read_text())
    root = (base_yaml.parent / base["root"]).resolve()
    lines = [ln for ln in (root / base["train"]).read_text().splitlines() if ln.strip()]
    written = []
    for fold, held_out in FOLDS.items():
        folder = out / fold
        folder.mkdir(parents=True, exist_ok=True)
        train = [ln for ln in lines if not ln.startswith(f"train/{held_out}")]
        score = [ln for ln in lines if ln.startswith(f"train/{held_out}")]
        (folder / "train.txt").write_text("\n".join(train) + "\n")
        (folder / "val.txt").write_text("\n".join(score) + "\n")
        cfg = {**base, "root": str(root), "train": str((folder / "train.txt").resolve()),
               "val": str((folder / "val.txt").resolve())}
        (folder / "dataset.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        print(f"fold {fold}: train {len(train)} images, score on {held_out} ({len(score)} images): "
              f"{folder / 'dataset.yaml'}")
        written.append(folder / "dataset.yaml")
    return written


if __name__ == "__main__":
    write_folds(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "runs" / "folds")
