"""Errors that name the file, the key path and what was expected."""

from __future__ import annotations

from pathlib import Path


class ConfigError(ValueError):
    """A configuration file is missing, unreadable or does not validate.

    One line per problem, each naming the file and, for validation errors, the key path
    and what was expected::

        config/rules.yaml: rules[0](wind_natura2000).severity: Input should be 'exclusion', ...
    """

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {problem}" for problem in problems))


class LayerError(RuntimeError):
    """A layer could not be fetched, parsed or normalised.

    The message names the layer, the source (file or URL) and the cause.
    """

    def __init__(self, layer: str, source: str, problem: str) -> None:
        self.layer = layer
        self.source = source
        self.problem = problem
        super().__init__(f"layer '{layer}' from {source}: {problem}")
