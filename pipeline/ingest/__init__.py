"""Normalise: CRS, repair, attribute mapping, provenance, staging."""

from pipeline.ingest.layer import IngestOutcome, ingest_layer, read_outcome
from pipeline.ingest.normalise import STAGED_COLUMNS, NormaliseCounts, normalise
from pipeline.ingest.stage import Provenance, read_provenance, read_staged

__all__ = [
    "STAGED_COLUMNS",
    "IngestOutcome",
    "NormaliseCounts",
    "Provenance",
    "ingest_layer",
    "normalise",
    "read_outcome",
    "read_provenance",
    "read_staged",
]
