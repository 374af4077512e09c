"""What every stage's assets share: the configuration they were built from, and progress."""

import os
from functools import cache

import dagster as dg

from pipeline.config import Catalogue, RuleSet, Settings, load_catalogue, load_rules, load_settings

OWNERS = ["team:regional-planning-data"]
#: Set by `make run` (assets_defs.cli): progress lines are also printed in plain words.
PLAIN_PROGRESS_ENV = "LANDUSE_PLAIN_PROGRESS"


@cache
def configured() -> tuple[Settings, Catalogue, RuleSet]:
    """Settings, catalogue and rules as the environment names them (read once per process)."""
    settings = load_settings()
    catalogue = load_catalogue(settings.catalogue_path)
    rules = load_rules(settings.rules_path, catalogue)
    return settings, catalogue, rules


def progress(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, line: str) -> None:
    """Log one plain-language progress line (and print it when run from `make run`)."""
    context.log.info(line)
    if os.environ.get(PLAIN_PROGRESS_ENV):
        print(f"  {line}", flush=True)
