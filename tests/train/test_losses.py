"""The training losses: class weights, cross-entropy, its hard-pixel (OHEM) form and the Lovasz term."""

import math

import pytest

torch = pytest.importorskip("torch")

from pixelwise.train.losses import (  # noqa: E402
    OHEM_MIN_KEPT,
    OHEM_PROB,
    hard_pixel_mean,
    lovasz_softmax,
    segmentation_loss,
)

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


def _one_hot_logits(pred: torch.Tensor, classes: int, scale: float = 1000.0) -> torch.Tensor:
    return F.one_hot(pred, classes).permute(0, 3, 1, 2).float() * scale


def test_lovasz_of_hard_predictions_is_one_minus_the_mean_iou_of_the_classes_present() -> None:
    gen = torch.Generator().manual_seed(0)
    target = torch.randint(0, 3, (2, 8, 8), generator=gen)
    target[0, 0] = 255
    pred = torch.randint(0, 4, (2, 8, 8), generator=gen)  # class 3 is predicted, never present
    valid = target != 255
    ious = [((pred == k) & (target == k) & valid).sum() / (((pred == k) | (target == k)) & valid).sum()
            for k in range(3)]
    expected = 1.0 - float(torch.stack(ious).mean())
    assert lovasz_softmax(_one_hot_logits(pred, 4), target, 255).item() == pytest.approx(expected, abs=1e-5)
    assert lovasz_softmax(_one_hot_logits(target.clamp(max=2), 4), target, 255).item() == pytest.approx(0.0, abs=1e-6)


def test_lovasz_pushes_a_rare_class_much_harder_than_cross_entropy_does() -> None:
    target = torch.zeros(1, 16, 16, dtype=torch.long)
    target[0, 0, :4] = 1  # 4 of 256 pixels, all predicted as the common class
    start = torch.zeros(1, 2, 16, 16)
    start[:, 0] = 1.0

    def rare_over_common(loss) -> float:
        logits = start.clone().requires_grad_()
        loss(logits).backward()
        grad = logits.grad[0]
        return float(grad[1][target[0] == 1].abs().mean() / grad[0][target[0] == 0].abs().mean())

    lovasz = rare_over_common(lambda x: lovasz_softmax(x, target, 255))
    ce = rare_over_common(lambda x: F.cross_entropy(x, target))
    assert lovasz > 10 * ce  # per pixel, the few pixels of class 1 carry its whole IoU


def test_lovasz_scores_a_bounded_random_subset_and_ignores_void() -> None:
    target = torch.full((1, 4, 4), 255, dtype=torch.long)
    assert lovasz_softmax(torch.zeros(1, 2, 4, 4), target, 255).item() == 0.0
    big = torch.randint(0, 2, (1, 64, 64), generator=torch.Generator().manual_seed(1))
    pred = big.clone()
    pred[0, :8] = 1 - pred[0, :8]  # an eighth of the rows wrong
    full = lovasz_softmax(_one_hot_logits(pred, 2), big, 255).item()
    logits = (_one_hot_logits(pred, 2) * 0.001).requires_grad_()  # soft: every pixel has a gradient
    sub = lovasz_softmax(logits, big, 255, max_pixels=1024, generator=torch.Generator().manual_seed(0))
    sub.backward()
    scored = int((logits.grad.abs().sum(dim=1) > 0).sum())
    assert 0 < scored <= 1024  # of 4096 labelled pixels
    hard, again = (lovasz_softmax(_one_hot_logits(pred, 2), big, 255, max_pixels=1024,
                                  generator=torch.Generator().manual_seed(0)) for _ in range(2))
    assert 0.1 < full < 0.3 and hard.item() == pytest.approx(full, abs=0.06) and hard.item() == again.item()


def test_ce_plus_lovasz_adds_the_lovasz_term_to_cross_entropy() -> None:
    target = torch.randint(0, 3, (2, 8, 8), generator=torch.Generator().manual_seed(2))
    logits = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(3))
    up = F.interpolate(logits, size=(8, 8), mode="bilinear", align_corners=False)
    both = segmentation_loss(logits, target, None, 255, kind="ce+lovasz")
    assert both.item() == pytest.approx((segmentation_loss(logits, target, None, 255)
                                         + lovasz_softmax(up, target, 255)).item(), rel=1e-5)
