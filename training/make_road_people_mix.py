"""Write a road dataset YAML whose train list adds people photos, their people as pedestrians.

    python training/make_road_people_mix.py --road runs/folds/b/dataset.yaml [--people-source voc]
        [--share 0.15] [--seed 0] [--out runs/road_people_b]

CamVid's pedestrians are few and look alike within a sequence; the people dataset's photos
show people in many more places, poses and lights. Each chosen people photo joins the road
train list with a label map in which its person pixels are ``pedestrian`` and every other
pixel is the road dataset's ignore id (those photos say nothing about roads or buildings).
``--share`` sets how many: that share of the number of road training images, drawn at random
(``--seed``) from the chosen source. Both datasets are read by pixelwise's own dataset reader;
the list files name their images and masks by absolute path, and only the new label maps are
written (``people_labels/``). Val is the road dataset's, unchanged.

Those photos teach pedestrians only (positive-only labels): the road frames beside them are
what keeps the model from calling everything in such a photo a pedestrian, so keep the share
small. The road dataset must be a mask dataset (``format: masks``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
PEOPLE_SOURCES = ("voc", "ccp", "all")


def _pair_lines(samples: list) -> list[str]:
    """'image mask' lines with absolute paths (a list file's lines are joined to its root)."""
    lines = []
    for s in samples:
        if s.semantic_path is None:
            raise SystemExit(f"{s.image}: the road dataset must be a mask dataset (format: masks)")
        pair = (str(s.image.resolve()), str(s.semantic_path.resolve()))
        if any(" " in p for p in pair):
            raise SystemExit(f"{pair}: a list file cannot name a path with a space")
        lines.append(" ".join(pair))
    return lines


def write_mix(road_yaml: Path, out: Path, source: str = "voc", share: float = 0.15, seed: int = 0,
              people_yaml: Path = REPO / "configs" / "people.yaml") -> Path:
    import yaml

    from pixelwise.data.config import load_dataset_config
    from pixelwise.data.formats import read_split

    if source not in PEOPLE_SOURCES:
        raise SystemExit(f"--people-source must be one of {', '.join(PEOPLE_SOURCES)}, got {source!r}")
    road, people = load_dataset_config(road_yaml), load_dataset_config(people_yaml)
    if "pedestrian" not in road.classes:
        raise SystemExit(f"{road_yaml}: no 'pedestrian' class to give the people photos' people")
    pedestrian, person = road.classes.index("pedestrian"), people.classes.index("person")
    ignore = road.ignore_index if road.ignore_index is not None else 255
    road_train = _pair_lines(read_split(road, "train").samples)
    road_val = _pair_lines(read_split(road, "val").samples)
    pool = [s for s in read_split(people, "train").samples if source == "all" or f"/{source}/" in s.image.as_posix()]
    count = round(share * len(road_train))
    if not 0 < count <= len(pool):
        raise SystemExit(f"--share {share} asks for {count} people photos; {source} has {len(pool)}")
    added = []
    for i in sorted(np.random.default_rng(seed).choice(len(pool), count, replace=False)):
        sample = pool[i]
        label = np.where(sample.semantic_map(255) == person, pedestrian, ignore).astype(np.uint8)
        dest = (out / "people_labels" / sample.image.parent.parent.name / f"{sample.image.stem}.png").resolve()
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(dest), label):
            raise SystemExit(f"{dest}: cannot write the label map")
        added.append(f"{sample.image.resolve()} {dest}")
    (out / "train.txt").write_text("\n".join(road_train + added) + "\n")
    (out / "val.txt").write_text("\n".join(road_val) + "\n")
    raw = yaml.safe_load(road_yaml.read_text())
    cfg = {**raw, "root": str(out.resolve()), "train": "train.txt", "val": "val.txt"}
    (out / "dataset.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    print(f"train {len(road_train) + len(added)} lines ({len(road_train)} road, {len(added)} people photos from "
          f"{source}): {out / 'dataset.yaml'}")
    return out / "dataset.yaml"


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--road", type=Path, default=REPO / "configs" / "camvid.yaml", help="road dataset YAML")
    ap.add_argument("--people-source", default="voc", choices=PEOPLE_SOURCES,
                    help="which people photos: the VOC scenes (default), the street-fashion photos, or all")
    ap.add_argument("--share", type=float, default=0.15,
                    help="people photos per road training image (default 0.15)")
    ap.add_argument("--seed", type=int, default=0, help="which people photos are drawn")
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "road_people_mix")
    args = ap.parse_args()
    write_mix(args.road, args.out, args.people_source, args.share, args.seed)
