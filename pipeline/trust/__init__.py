"""How much to trust the ranking: rank stability under uncertain parameters, one-at-a-time
sensitivity, and a back-test against features already decided (docs/trust.md)."""

from pipeline.trust.build import TrustSummary, build_trust

__all__ = ["TrustSummary", "build_trust"]
