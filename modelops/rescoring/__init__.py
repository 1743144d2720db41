"""Batch rescoring, like a weekly SageMaker batch transform: every open application (or a
filtered set) scored again with the active or a named model, in chunks spread over Celery
workers, writing a new decision only where it changed, each marked with its run.

What costs time at a million rows (measured on the prototype): loading answers as JSON into
Python (~17 s) and rewriting every decision (~25 s). So on PostgreSQL a chunk's features are
projected in SQL and read with a binary COPY (`load`), and only the decisions that changed
are written, with reasons for those rows only (`write`).

A chunk is a job (outbox.jobs): claimed by a conditional update (pending → running) under a
lease its heartbeat renews; the last chunk to finish closes the run (running → finished,
once), so no result backend or chord is needed; the one job re-drive hands out again chunks
whose worker vanished (lease expired) or that back off after a transient scoring error. A
chunk run twice compares with the decisions the first run wrote and writes nothing more.

    start   planning a run (its chunks) and handing it to the workers
    chunk   one chunk: claim, score, close the run after its last chunk
    load    reading a chunk: the covered applications, their features and current decisions
    write   writing a chunk's changed decisions, routing, outbox rows and review items
"""

from modelops.rescoring.chunk import _close_if_last, rescore_chunk_execute
from modelops.rescoring.load import OPEN, ChunkRows, _load_chunk_copy, _load_chunk_orm, load_chunk
from modelops.rescoring.start import rescore_candidates_count, rescore_run_inline, rescore_start
from modelops.rescoring.write import apply_scores

__all__ = [
    "OPEN",
    "ChunkRows",
    "_close_if_last",
    "_load_chunk_copy",
    "_load_chunk_orm",
    "apply_scores",
    "load_chunk",
    "rescore_candidates_count",
    "rescore_chunk_execute",
    "rescore_run_inline",
    "rescore_start",
]
