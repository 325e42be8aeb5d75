"""Training speed of ``pixelwise train --precision fp32|bf16`` on this CPU, in one run.

Times the training step the loop runs (forward pass, class-weighted cross-entropy with the
deep-supervision term, backward pass, AdamW step) on a batch of random 320x320 crops, for
the default network and ``--net detail``, with the forward pass and loss in float32 or under
PyTorch's CPU autocast to bfloat16 (what ``--precision bf16`` does). The steps of one network
are timed in interleaved, rotating rounds (bench/timing.py ``interleaved_ms``), so the ratio
bf16 / fp32 holds on a shared machine. Data loading and augmentation are not included (they
run in the loop's batch thread). Prints the CPU's model name and flags. Needs the train extra.

    .venv/bin/python bench/train_speed.py [--runs 10] [--batch 16] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch
from timing import cpu_line, interleaved_ms

from pixelwise.cli.train_cmd import NETS
from pixelwise.train.loop import bf16_native
from pixelwise.train.losses import segmentation_loss
from pixelwise.train.nets.pwnet import PWNet, PWNetConfig


def step_fn(net: dict, precision: str, batch: int, crop: int):
    torch.manual_seed(0)
    model = PWNet(PWNetConfig.from_dict({**net, "num_classes": 11})).to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 3, crop, crop).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 11, (batch, crop, crop))
    weight = torch.ones(11)

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits, aux = model(x)
        loss = segmentation_loss(logits.float(), y, weight, 255, aux.float(), 0.4, "ce")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=320)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# bench/train_speed.py  batch {args.batch} of {args.crop}x{args.crop}, {args.threads} threads, "
          f"{args.runs} interleaved rounds (median), torch {torch.__version__}")
    print(f"CPU: {cpu_line()}; bf16 in hardware (AMX or AVX512-BF16): {'yes' if bf16_native() else 'no'}")
    print("\n| network | fp32 step ms | bf16 step ms | bf16 / fp32 |")
    print("| --- | --- | --- | --- |")
    for name in ("default", "detail"):
        ms = interleaved_ms({p: step_fn(NETS[name], p, args.batch, args.crop) for p in ("fp32", "bf16")},
                            args.runs, warmup=2)
        print(f"| {name} | {ms['fp32']:.0f} | {ms['bf16']:.0f} | {ms['bf16'] / ms['fp32']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
