"""Many images: a resumable batch with an index, on a local process pool or on Ray."""

from .index import BatchIndex, read_index
from .inputs import list_inputs
from .runner import BatchConfig, BatchSummary, run_batch

__all__ = ["BatchConfig", "BatchSummary", "BatchIndex", "list_inputs", "read_index", "run_batch"]
