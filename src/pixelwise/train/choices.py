"""The named choices of ``pixelwise train`` (no heavy imports: the CLI's help reads them)."""

from __future__ import annotations

__all__ = ["PHOTOMETRIC_LEVELS", "DISTILL_MODES", "DISTILL_PIXELS", "LOSSES", "PRECISIONS", "distils_person",
           "distils_features"]

# --augment: "basic" (+-30% colour jitter), "strong" (new streets and light) or "mixed" (strong or
# basic for each crop, even odds; train/augment.py)
PHOTOMETRIC_LEVELS = ("basic", "strong", "mixed")
# --distill, with --teacher: "person" = its soft person probability (a two-class dataset),
# "features" = its pre-trained features, learnt by the student's deepest layer (train/distill.py),
# "person+features" = both terms, each with the same --distill-weight
DISTILL_MODES = ("person", "features", "person+features")


def distils_person(mode: str) -> bool:
    """Whether a --distill mode uses the teacher's soft person targets."""
    return mode in ("person", "person+features")


def distils_features(mode: str) -> bool:
    """Whether a --distill mode uses the teacher's pre-trained features."""
    return mode in ("features", "person+features")


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
