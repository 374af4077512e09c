"""Embedded default data: real Västra Götaland boundaries and realistic synthetic layers.

See docs/sample-data.md. Entry points: :func:`generate_sample`, :func:`ensure_sample` and
``python -m pipeline.sample``.
"""

from pipeline.config.settings import PROJECT_ROOT
from pipeline.sample.generate import GENERATOR_VERSION, OUTPUTS, ensure_sample, generate_sample

#: Where the embedded default lives: the folder ``config/catalogue.yaml`` points at
#: (``../data/sample``), whatever ``LANDUSE_DATA_DIR`` says.
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"

__all__ = ["GENERATOR_VERSION", "OUTPUTS", "SAMPLE_DIR", "ensure_sample", "generate_sample"]
