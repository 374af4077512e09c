"""Embedded default data: real Västra Götaland boundaries and realistic synthetic layers.

See docs/sample-data.md. Entry points: :func:`generate_sample`, :func:`ensure_sample` and
``python -m pipeline.sample``.
"""

from pipeline.sample.generate import GENERATOR_VERSION, OUTPUTS, ensure_sample, generate_sample

__all__ = ["GENERATOR_VERSION", "OUTPUTS", "ensure_sample", "generate_sample"]
