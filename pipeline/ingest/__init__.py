"""Normalise: CRS, repair, attribute mapping, provenance, staging.

Entry point of the stage: :func:`run_ingest` (one layer).
"""

from pipeline.ingest.layer import IngestOutcome, ingest_layer, read_outcome
from pipeline.ingest.normalise import STAGED_COLUMNS, NormaliseCounts, normalise
from pipeline.ingest.stage import run_ingest
from pipeline.ingest.staged import NORMALISE_VERSION, Provenance, read_provenance, read_staged

__all__ = [
    "NORMALISE_VERSION",
    "STAGED_COLUMNS",
    "IngestOutcome",
    "NormaliseCounts",
    "Provenance",
    "ingest_layer",
    "normalise",
    "read_outcome",
    "read_provenance",
    "read_staged",
    "run_ingest",
]
