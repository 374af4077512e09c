"""Errors that name the file, the key path and what was expected."""

from __future__ import annotations

from pathlib import Path


class ConfigError(ValueError):
    """A configuration file is missing, unreadable or does not validate.

    The message always names the file; validation errors also name the key path
    (``layers[3].source.kind``) and what was expected.
    """

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{self.path}: invalid configuration\n{lines}")


class LayerError(RuntimeError):
    """A layer could not be fetched, parsed or normalised.

    The message names the layer, the source (file or URL) and the cause.
    """

    def __init__(self, layer: str, source: str, problem: str) -> None:
        self.layer = layer
        self.source = source
        self.problem = problem
        super().__init__(f"layer '{layer}' from {source}: {problem}")
