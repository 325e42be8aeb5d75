"""The training losses: class weights, cross-entropy and its hard-pixel (OHEM) form."""

import math

import pytest

torch = pytest.importorskip("torch")

from pixelwise.train.losses import OHEM_MIN_KEPT, OHEM_PROB, hard_pixel_mean, segmentation_loss  # noqa: E402

F = torch.nn.functional


def _logits_for(target: torch.Tensor, margin: torch.Tensor) -> torch.Tensor:
    """Two-class logits where each pixel's true class leads by ``margin`` (negative = wrong)."""
    lead = torch.stack([margin, torch.zeros_like(margin)], dim=1)  # class 0 leads by margin
    return torch.where(target[:, None] == 0, lead, lead.flip(1))


def test_ohem_averages_only_the_pixels_the_model_gets_wrong() -> None:
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[:, :4] = 1
    margin = torch.full((1, 8, 8), 6.0)  # p(true) ~ 0.998: easy
    margin[:, :, :3] = -2.0  # p(true) ~ 0.12: hard, 24 of 64 pixels
    logits = _logits_for(target, margin)
    ce = F.cross_entropy(logits, target, reduction="none")
    hard = ce > -math.log(OHEM_PROB)
    assert int(hard.sum()) == 24
    assert hard_pixel_mean(logits, target, None, 255).item() == pytest.approx(ce[hard].mean().item())
    assert segmentation_loss(logits, target, None, 255, kind="ohem") > 2 * segmentation_loss(logits, target, None, 255)


def test_ohem_keeps_the_hardest_share_when_every_pixel_is_easy() -> None:
    target = torch.zeros(1, 16, 16, dtype=torch.long)
    margin = torch.linspace(3.0, 9.0, 256).reshape(1, 16, 16)  # all p(true) > 0.95
    logits = _logits_for(target, margin)
    ce = F.cross_entropy(logits, target, reduction="none").reshape(-1)
    n_min = int(256 * OHEM_MIN_KEPT)
    assert hard_pixel_mean(logits, target, None, 255).item() == pytest.approx(ce.topk(n_min).values.mean().item())


def test_ohem_ignores_void_and_weights_the_chosen_pixels_by_class() -> None:
    target = torch.tensor([[[0, 1, 255, 255]]])
    margin = torch.tensor([[[-1.0, -3.0, -9.0, -9.0]]])  # all hard; the void ones hardest of all
    logits = _logits_for(target, margin)
    ce = F.cross_entropy(logits, target, ignore_index=255, reduction="none")[0, 0]
    weight = torch.tensor([1.0, 3.0])
    want = (ce[0] * 1.0 + ce[1] * 3.0) / 4.0
    assert hard_pixel_mean(logits, target, weight, 255).item() == pytest.approx(want.item())
    void = torch.full_like(target, 255)
    zero = hard_pixel_mean(logits.requires_grad_(), void, weight, 255)
    assert zero.item() == 0.0
    zero.backward()  # still a graph: a batch of void pixels does not break training
    assert logits.grad is not None and not logits.grad.abs().sum()


def test_ohem_sends_gradient_only_to_hard_pixels() -> None:
    target = torch.zeros(1, 4, 4, dtype=torch.long)
    margin = torch.full((1, 4, 4), 8.0)
    margin[0, 0, :] = -1.0
    logits = _logits_for(target, margin).requires_grad_()
    hard_pixel_mean(logits, target, None, 255).backward()
    touched = logits.grad.abs().sum(dim=1)[0] > 0
    assert touched[0].all() and not touched[1:].any()


def test_unknown_loss_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="loss must be one of"):
        segmentation_loss(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long), None, 255, kind="focal")
