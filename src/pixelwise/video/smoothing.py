"""Temporal smoothing of a semantic model's class probabilities across the frames of a stream."""

from __future__ import annotations

import numpy as np

from ..ops.semantic import softmax

__all__ = ["TemporalSmoother"]


class TemporalSmoother:
    """Exponential moving average of per-class probabilities at the model's output size.

    ``alpha`` is the weight of the past (0: no smoothing, 0.9: heavy). Used as a Predictor
    ``output_filter``: it replaces the ``logits`` output with the log of the smoothed
    probabilities (so argmax and confidence follow the average) and drops a precomputed
    ``labels`` output. Outputs without ``logits`` (instance models) pass unchanged. One
    smoother per stream; it is reset when the output size changes.
    """

    def __init__(self, alpha: float) -> None:
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"smoothing alpha must be in [0, 1), got {alpha}")
        self.alpha = alpha
        self._state: np.ndarray | None = None

    def __call__(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        logits = outputs.get("logits")
        if logits is None or logits.ndim != 4 or logits.dtype.kind != "f":
            return outputs
        probs = softmax(logits)
        if self._state is None or self._state.shape != probs.shape:
            self._state = probs
        else:
            self._state = self.alpha * self._state + (1.0 - self.alpha) * probs
        return {"logits": np.log(self._state + 1e-6).astype(np.float32)}
