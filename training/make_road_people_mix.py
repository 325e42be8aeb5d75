"""Write a road dataset YAML whose train list adds people photos, their people as pedestrians.

    python training/make_road_people_mix.py --road runs/folds/b/dataset.yaml [--people-source voc]
        [--share 0.15] [--seed 0] [--out runs/road_people_b]

CamVid's pedestrians are few and look alike within a sequence; the people dataset's photos
show people in many more places, poses and lights. Each chosen people photo joins the road
train list with a label map in which its person pixels are ``pedestrian`` and every other
pixel is the road dataset's ignore id (those photos say nothing about roads or buildings).
``--share`` sets how many: that share of the number of road training images, drawn at random
(``--seed``) from the chosen source.
The road data and the people photos are linked into the output folder (``road/``,
``people/``), not copied; only the new label maps are written (``people_labels/``). Val is the
road dataset's, unchanged.

Those photos teach pedestrians only (positive-only labels): the road frames beside them are
what keeps the model from calling everything in such a photo a pedestrian, so keep the share
small. Both datasets must be mask folders with list files of relative paths (``format:
masks``, no ``label_mapping``), as configs/camvid.yaml and configs/people.yaml are.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
PEOPLE_SOURCES = ("voc", "ccp", "all")


def _root(yaml_path: Path, cfg: dict) -> Path:
    return (yaml_path.parent / cfg["root"]).resolve()


def _lines(root: Path, listing: str) -> list[str]:
    path = Path(listing) if Path(listing).is_absolute() else root / listing
    if not path.is_file():
        raise SystemExit(f"{path}: expected a list file of 'image mask' lines")
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    bad = next((ln for ln in lines if len(ln.split()) != 2 or any(Path(p).is_absolute() or ".." in Path(p).parts
                                                                  for p in ln.split())), None)
    if bad is not None:
        raise SystemExit(f"{path}: {bad!r} is not two relative paths inside the dataset root")
    return lines


def _check_format(yaml_path: Path, cfg: dict) -> None:
    if cfg.get("format") != "masks" or "label_mapping" in cfg:
        raise SystemExit(f"{yaml_path}: only 'format: masks' datasets without a label_mapping can be mixed")


def _link(target: Path, link: Path) -> None:
    if link.is_symlink() or link.exists():
        if link.resolve() == target.resolve():
            return
        raise SystemExit(f"{link} exists and points elsewhere; choose another --out")
    os.symlink(target, link, target_is_directory=True)


def write_mix(road_yaml: Path, out: Path, source: str = "voc", share: float = 0.15, seed: int = 0,
              people_yaml: Path = REPO / "configs" / "people.yaml") -> Path:
    import yaml

    if source not in PEOPLE_SOURCES:
        raise SystemExit(f"--people-source must be one of {', '.join(PEOPLE_SOURCES)}, got {source!r}")
    road = yaml.safe_load(road_yaml.read_text())
    people = yaml.safe_load(people_yaml.read_text())
    _check_format(road_yaml, road)
    _check_format(people_yaml, people)
    names = [c["name"] for c in road["classes"]]
    if "pedestrian" not in names:
        raise SystemExit(f"{road_yaml}: no 'pedestrian' class to give the people photos' people")
    pedestrian = next(c["id"] for c in road["classes"] if c["name"] == "pedestrian")
    ignore = int(road["ignore_index"])
    road_root, people_root = _root(road_yaml, road), _root(people_yaml, people)
    out.mkdir(parents=True, exist_ok=True)
    _link(road_root, out / "road")
    _link(people_root, out / "people")
    road_lines = _lines(road_root, road["train"])
    pool = [ln for ln in _lines(people_root, people["train"]) if source == "all" or ln.startswith(f"{source}/")]
    count = round(share * len(road_lines))
    if not 0 < count <= len(pool):
        raise SystemExit(f"--share {share} asks for {count} people photos; {source} has {len(pool)}")
    chosen = [pool[i] for i in sorted(np.random.default_rng(seed).choice(len(pool), count, replace=False))]
    person = next(c["id"] for c in people["classes"] if c["name"] == "person")
    added = []
    for line in chosen:
        image_rel, mask_rel = line.split()
        mask = cv2.imread(str(people_root / mask_rel), cv2.IMREAD_UNCHANGED)
        if mask is None:
            raise SystemExit(f"{people_root / mask_rel}: cannot read the mask")
        label = np.where(mask == person, pedestrian, ignore).astype(np.uint8)
        dest = out / "people_labels" / Path(mask_rel).with_suffix(".png")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(dest), label):
            raise SystemExit(f"{dest}: cannot write the label map")
        added.append(f"people/{image_rel} {dest.relative_to(out)}")
    prefixed = [" ".join(f"road/{p}" for p in ln.split()) for ln in road_lines]
    (out / "train.txt").write_text("\n".join(prefixed + added) + "\n")
    val = [" ".join(f"road/{p}" for p in ln.split()) for ln in _lines(road_root, road["val"])]
    (out / "val.txt").write_text("\n".join(val) + "\n")
    cfg = {**road, "root": str(out.resolve()), "train": "train.txt", "val": "val.txt"}
    (out / "dataset.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    print(f"train {len(prefixed) + len(added)} lines ({len(prefixed)} road, {len(added)} people photos from "
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
