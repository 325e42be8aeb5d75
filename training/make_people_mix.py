"""Write a people dataset YAML whose train list repeats the VOC photos (more weight on scenes).

    python training/make_people_mix.py [--voc-repeat 2] [--out runs/people_mix]

The people train split is 904 street-fashion photos (CCP, one standing person on a plain
background) and 444 VOC scenes (people anywhere, any size, among other things). The held-out
photos the project scores on are VOC- and COCO-style scenes, so a recipe can see each VOC
photo ``--voc-repeat`` times per epoch (each time with its own augmentation). Val is unchanged.
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_mix(out: Path, voc_repeat: int, base_yaml: Path = REPO / "configs" / "people.yaml") -> Path:
    import yaml

    if voc_repeat < 1:
        raise SystemExit(f"--voc-repeat must be 1 or more, got {voc_repeat}")
    base = yaml.safe_load(base_yaml.read_text())
    root = (base_yaml.parent / base["root"]).resolve()
    lines = [ln for ln in (root / base["train"]).read_text().splitlines() if ln.strip()]
    voc = [ln for ln in lines if ln.startswith("voc/")]
    mixed = lines + voc * (voc_repeat - 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.txt").write_text("\n".join(mixed) + "\n")
    cfg = {**base, "root": str(root), "train": str((out / "train.txt").resolve()),
           "val": str((root / base["val"]).resolve())}
    (out / "dataset.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    print(f"train {len(mixed)} lines ({len(lines) - len(voc)} CCP, {len(voc)} VOC x {voc_repeat}): "
          f"{out / 'dataset.yaml'}")
    return out / "dataset.yaml"


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voc-repeat", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "people_mix")
    args = ap.parse_args()
    write_mix(args.out, args.voc_repeat)
