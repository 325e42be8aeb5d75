"""The named choices of ``pixelwise train`` (no heavy imports: the CLI's help reads them)."""

from __future__ import annotations

from itertools import combinations

__all__ = ["PHOTOMETRIC_LEVELS", "DISTILL_TERMS", "DISTILL_MODES", "DISTILL_PIXELS", "LOSSES", "PRECISIONS",
           "distils_person", "distils_features", "distils_classes"]

# --augment: "basic" (+-30% colour jitter), "strong" (new streets and light) or "mixed" (strong or
# basic for each crop, even odds; train/augment.py)
PHOTOMETRIC_LEVELS = ("basic", "strong", "mixed")
# --distill, with --teacher: one or more of the teacher's terms, joined by "+" in this order:
# "person" = its soft person probability (a two-class dataset),
# "features" = its pre-trained features, learnt by the student's deepest layer (train/distill.py),
# "classes" = its whole PASCAL VOC class distribution (21 classes), learnt by a training-only head on
# the student's last features (train/distill.py), so that they tell a dog or a chair from a person;
# each term has the same --distill-weight
DISTILL_TERMS = ("person", "features", "classes")
DISTILL_MODES = tuple("+".join(terms) for n in range(1, len(DISTILL_TERMS) + 1)
                      for terms in combinations(DISTILL_TERMS, n))


def distils_person(mode: str) -> bool:
    """Whether a --distill mode uses the teacher's soft person targets."""
    return "person" in mode.split("+")


def distils_features(mode: str) -> bool:
    """Whether a --distill mode uses the teacher's pre-trained features."""
    return "features" in mode.split("+")


def distils_classes(mode: str) -> bool:
    """Whether a --distill mode uses the teacher's class distribution."""
    return "classes" in mode.split("+")


# --distill-pixels, with --distill person: "all" = the teacher's term on every pixel it covers;
# "agree" = only where the teacher's more likely class is the label's (or the label is void)
DISTILL_PIXELS = ("all", "agree")
# --loss: "ce" = class-weighted cross-entropy over every labelled pixel; "ohem" = the same over
# the hard pixels only (train/losses.py hard_pixel_mean), aimed at thin classes such as poles and signs;
# "ce+lovasz" = cross-entropy plus the Lovasz-softmax surrogate of 1 - IoU (train/losses.py lovasz_softmax),
# which weighs every class alike, as mIoU does
LOSSES = ("ce", "ohem", "ce+lovasz")
# --precision: "fp32" = every training step in float32; "bf16" = the network's forward pass under
# PyTorch's CPU autocast to bfloat16, the loss from its outputs cast back to float32 (weights,
# optimiser, EMA and the exported model stay float32); fast on CPUs with AMX or AVX512-BF16,
# slower elsewhere
PRECISIONS = ("fp32", "bf16")
