"""`pixelwise train`: train or fine-tune a PWNet on a dataset YAML (needs the train extra)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..errors import InputError
from ..train.choices import DISTILL_MODES, DISTILL_PIXELS, LOSSES, PHOTOMETRIC_LEVELS, PRECISIONS
from .options import float_pair, hw

NETS = {
    "default": {},
    "detail": {"blocks1": 2},
    "small": {"c1": 24, "c2": 48, "c3": 128, "decoder": 48, "blocks2": 2, "blocks3": 6},
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train or fine-tune a model on your data (needs pixelwise[train])")
    p.add_argument("--data", required=True, type=Path, help="dataset YAML (or a folder with dataset.yaml)")
    p.add_argument("--out", type=Path, default=Path("runs/train"), help="run folder (checkpoints, logs)")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--crop", type=hw, default=(320, 320), metavar="HxW", help="training crop size")
    p.add_argument("--scale", type=float_pair, default=(0.5, 2.0), metavar="LO,HI", help="random scale range")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--val-every", type=int, default=1, help="validate every N epochs")
    p.add_argument("--augment", choices=PHOTOMETRIC_LEVELS, default="basic",
                   help="photometric augmentation: basic (+-30%% colour jitter), strong (gamma, white balance, "
                        "hue, low light, blur, noise, JPEG, small rotation) or mixed (the strong geometry; the strong "
                        "or the basic colours for each crop, even odds)")
    p.add_argument("--paste", type=float, default=0.0, metavar="P",
                   help="copy-paste: the share of training crops (0-1) that get, from another image's crop, the "
                        "pixels of the rarer classes (fewer labelled pixels than the median class: thin road-scene "
                        "classes, or person)")
    p.add_argument("--teacher", type=Path, default=None, metavar="TFLITE",
                   help="a DeepLab VOC TFLite teacher to distil from (see --distill)")
    p.add_argument("--distill", choices=DISTILL_MODES, default="person",
                   help="with --teacher, one or more terms joined by + in this order: person = its soft "
                        "person targets (a two-class dataset); features = its pre-trained features, learnt by "
                        "the student's deepest layer (any dataset); classes = its whole 21-class VOC "
                        "distribution, learnt by a training-only head on the student's last features, so they "
                        "tell animals and furniture from people (any dataset)")
    p.add_argument("--distill-pixels", choices=DISTILL_PIXELS, default="all",
                   help="with --distill person: all = the teacher's term on every pixel; agree = only where the "
                        "teacher's more likely class is the label's (or the label is void), so its misses on "
                        "small people do not teach them away")
    p.add_argument("--distill-weight", type=float, default=0.5,
                   help="weight of each of the teacher's terms (with --teacher)")
    p.add_argument("--loss", choices=LOSSES, default="ce",
                   help="ce = class-weighted cross-entropy; ohem = the same over the hard pixels only (p < 0.7 "
                        "for the true class, never fewer than 1/16 of the labelled pixels): more weight on thin "
                        "classes; ce+lovasz = cross-entropy plus the Lovasz-softmax surrogate of 1 - IoU, which "
                        "counts every class alike, as mIoU does")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32",
                   help="bf16: the forward pass in bfloat16 (CPU autocast; the loss, weights and the exported model "
                        "stay float32), fast on CPUs with AMX or AVX512-BF16; a resumed run may change it")
    p.add_argument("--net", choices=sorted(NETS), default="default",
                   help="network: default; detail = two more residual blocks at 1/4 resolution (finer detail, "
                        "more time; with --from, added to the weights' network as blocks that start as the "
                        "identity); small. With --from, the weights otherwise decide the network")
    p.add_argument("--from", dest="init", default=None,
                   help="start from weights: a .safetensors file or 'default' (fine-tuning)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from last.pt")
    p.add_argument("--time-limit", type=float, default=None, metavar="MINUTES",
                   help="stop this stretch after the last epoch expected to end within MINUTES of its start "
                        "(judged by its epochs so far; at least one runs), validated and saved; the same command "
                        "with --resume continues, on this machine or another")
    p.add_argument("--train-on-val", action="store_true", help="add the val split to training (final models)")
    p.add_argument("--skip-bad", action="store_true", help="skip bad annotation records (listed) instead of stopping")
    p.add_argument("--max-batches", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def _resolve_init(value: str | None) -> Path | None:
    if value is None:
        return None
    if value == "default":
        from ..weights import default_weights_path

        return default_weights_path()
    path = Path(value)
    if not path.is_file():
        raise InputError(f"{value}: no such weights file for --from")
    return path


def run(args: argparse.Namespace) -> int:
    try:
        from ..train.loop import TrainConfig, train
    except ImportError as exc:
        raise InputError(f"training needs PyTorch: pip install 'pixelwise[train]' ({exc})") from None
    cfg = TrainConfig(
        data=args.data, out=args.out, epochs=args.epochs, batch=args.batch, crop_hw=args.crop,
        scale_range=args.scale, lr=args.lr, seed=args.seed, threads=args.threads, val_every=args.val_every,
        init=_resolve_init(args.init), resume=args.resume, train_on_val=args.train_on_val,
        max_batches=args.max_batches, net=NETS[args.net], augment=args.augment, paste=args.paste, teacher=args.teacher,
        distill=args.distill, distill_weight=args.distill_weight, distill_pixels=args.distill_pixels, loss=args.loss,
        precision=args.precision, time_limit=args.time_limit,
        skip_bad=args.skip_bad,
        command="pixelwise " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
    )
    summary = train(cfg)
    if not summary["finished"] and args.time_limit is not None:
        print(f"stopped after epoch {summary['epochs']} of {args.epochs}: another epoch would end after the time "
              f"limit of {args.time_limit:g} min; continue with the same command and --resume")
    print(f"best val mIoU {summary['best_val_miou']:.2f} after {summary['epochs']} epochs "
          f"({summary['train_minutes']:.1f} min); weights in {args.out / 'best.safetensors'}")
    return 0
