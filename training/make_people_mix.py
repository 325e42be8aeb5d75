"""Write a people dataset YAML whose train list repeats the VOC photos (more weight on scenes).

    python training/make_people_mix.py [--voc-repeat 2] [--out runs/people_mix]
        [--animal-extra K --teacher ../shared/models/teachers/deeplabv3_257_mv_gpu.tflite]

The people train split is 904 street-fashion photos (CCP, one standing person on a plain
background) and 444 VOC scenes (people anywhere, any size, among other things). The held-out
photos the project scores on are VOC- and COCO-style scenes, so a recipe can see each VOC
photo ``--voc-repeat`` times per epoch (each time with its own augmentation). Val is unchanged.

``--animal-extra K`` lists K more times each VOC photo in which the teacher sees an animal
(bird, cat, cow, dog, horse, sheep) on at least ``--animal-share`` of the pixels labelled
background: the people model's most common mistake on VOC scenes is calling an animal a
person, and these photos are where the labels say it is not.
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEACHER = REPO.parent / "shared" / "models" / "teachers" / "deeplabv3_257_mv_gpu.tflite"


def animal_photos(root: Path, lines: list[str], teacher_path: Path, min_share: float = 0.02) -> list[str]:
    """The ``image mask`` lines whose background (mask 0) the teacher calls an animal on at
    least ``min_share`` of the photo's pixels."""
    import numpy as np

    from pixelwise.data.masks import read_mask
    from pixelwise.io.image import read_image
    from pixelwise.train.teacher import VOC_ANIMALS, Teacher

    teacher = Teacher(teacher_path, threads=2)
    found = []
    for line in lines:
        image_rel, mask_rel = line.split()
        label = read_mask(root / mask_rel)
        animal = np.isin(teacher.classes(read_image(root / image_rel)), VOC_ANIMALS) & (label == 0)
        if animal.mean() >= min_share:
            found.append(line)
    return found


def write_mix(out: Path, voc_repeat: int, base_yaml: Path = REPO / "configs" / "people.yaml",
              animal_extra: int = 0, teacher: Path = TEACHER, animal_share: float = 0.02) -> Path:
    import yaml

    if voc_repeat < 1:
        raise SystemExit(f"--voc-repeat must be 1 or more, got {voc_repeat}")
    if animal_extra < 0:
        raise SystemExit(f"--animal-extra must be 0 or more, got {animal_extra}")
    base = yaml.safe_load(base_yaml.read_text())
    root = (base_yaml.parent / base["root"]).resolve()
    lines = [ln for ln in (root / base["train"]).read_text().splitlines() if ln.strip()]
    voc = [ln for ln in lines if ln.startswith("voc/")]
    animals = animal_photos(root, voc, teacher, animal_share) if animal_extra else []
    mixed = lines + voc * (voc_repeat - 1) + animals * animal_extra
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.txt").write_text("\n".join(mixed) + "\n")
    cfg = {**base, "root": str(root), "train": str((out / "train.txt").resolve()),
           "val": str((root / base["val"]).resolve())}
    (out / "dataset.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    extra = f", {len(animals)} VOC photos with animals {animal_extra} more times" if animal_extra else ""
    print(f"train {len(mixed)} lines ({len(lines) - len(voc)} CCP, {len(voc)} VOC x {voc_repeat}{extra}): "
          f"{out / 'dataset.yaml'}")
    return out / "dataset.yaml"


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voc-repeat", type=int, default=2)
    ap.add_argument("--animal-extra", type=int, default=0, metavar="K")
    ap.add_argument("--animal-share", type=float, default=0.02)
    ap.add_argument("--teacher", type=Path, default=TEACHER)
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "people_mix")
    args = ap.parse_args()
    write_mix(args.out, args.voc_repeat, animal_extra=args.animal_extra, teacher=args.teacher,
              animal_share=args.animal_share)
