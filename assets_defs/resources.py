"""The runtime settings of a night as a Dagster resource, ``landuse`` (docs/operations.md).

Two kinds of settings, read at two times (docs/decisions.md, *Settings: a resource for what
a run reads, the environment for what the graph is made of*):

* what the asset graph is made of, the catalogue and rules files (``LANDUSE_CATALOGUE``,
  ``LANDUSE_RULES``), is read from the environment when the definitions load
  (:func:`assets_defs.common.configured`): one asset per layer needs the catalogue before
  any resource exists;
* what a run reads, the data folder and the alert channels, is this resource. Each field
  that the environment sets is a ``dg.EnvVar``: Dagster resolves it in the process that runs
  the step or the sensor, shows the variable's *name* (never its value) in the UI, and never
  writes the value into a run's configuration or event log. A field the environment does not
  set takes its default.

`make run` runs the job with the same resource (it is part of the definitions) and builds
its own copy with plain values for what it does outside the job (the writer lock, its alert)
with :func:`landuse_settings` (``as_env_vars=False``): one implementation, two readers.
"""

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from pipeline.alerts import AlertSettings, alert_settings
from pipeline.config.settings import PROJECT_ROOT, BuildSettings, build_settings
from pipeline.index.engine import EngineSettings
from pipeline.layout import DataLayout

#: Resource key every asset, check and sensor names the settings by.
RESOURCE_KEY = "landuse"
#: Field of :class:`LanduseSettings` -> the environment variable that sets it.
ENVIRONMENT = {
    "data_dir": "LANDUSE_DATA_DIR",
    "alert_webhook_url": "LANDUSE_ALERT_WEBHOOK_URL",
    "alert_smtp_host": "LANDUSE_ALERT_SMTP_HOST",
    "alert_smtp_port": "LANDUSE_ALERT_SMTP_PORT",
    "alert_smtp_security": "LANDUSE_ALERT_SMTP_SECURITY",
    "alert_smtp_user": "LANDUSE_ALERT_SMTP_USER",
    "alert_smtp_password": "LANDUSE_ALERT_SMTP_PASSWORD",
    "alert_email_from": "LANDUSE_ALERT_EMAIL_FROM",
    "alert_email_to": "LANDUSE_ALERT_EMAIL_TO",
    "duckdb_memory_limit": "LANDUSE_DUCKDB_MEMORY_LIMIT",
    "duckdb_temp_dir": "LANDUSE_DUCKDB_TEMP_DIR",
    "conflict_partition_res": "LANDUSE_CONFLICT_PARTITION_RES",
    "conflict_partition_cells": "LANDUSE_CONFLICT_PARTITION_CELLS",
    "index_parallel": "LANDUSE_INDEX_PARALLEL",
    "dask_scheduler": "LANDUSE_DASK_SCHEDULER",
}
#: The fields that size the conflict builds (:class:`pipeline.config.settings.BuildSettings`).
BUILD_FIELDS = (
    "duckdb_memory_limit", "duckdb_temp_dir", "conflict_partition_res", "conflict_partition_cells"
)  # fmt: skip
#: The fields whose values are secrets (never printed; masked by ``repr``).
SECRETS = frozenset({"alert_webhook_url", "alert_smtp_password"})
DEFAULT_DATA_DIR = str(PROJECT_ROOT / "data")


class LanduseSettings(dg.ConfigurableResource):
    """Where a night writes and whom it tells when it fails.

    ``data_dir`` holds every file of the pipeline (:class:`pipeline.layout.DataLayout`); the
    ``alert_*`` fields are the alert channels (:mod:`pipeline.alerts.notify`, which validates
    them); the ``duckdb_*`` and ``conflict_partition_*`` fields size the conflict builds
    (:meth:`build_settings`); ``index_parallel`` and ``dask_scheduler`` say where the index
    steps compute coverage (:meth:`index_engine`). Values are strings, as the environment
    gives them; unset is ``""``.
    """

    data_dir: str = DEFAULT_DATA_DIR
    alert_webhook_url: str = ""
    alert_smtp_host: str = ""
    alert_smtp_port: str = ""
    alert_smtp_security: str = ""
    alert_smtp_user: str = ""
    alert_smtp_password: str = ""
    alert_email_from: str = ""
    alert_email_to: str = ""
    duckdb_memory_limit: str = ""
    duckdb_temp_dir: str = ""
    conflict_partition_res: str = ""
    conflict_partition_cells: str = ""
    index_parallel: str = ""
    dask_scheduler: str = ""

    @property
    def layout(self) -> DataLayout:
        """Every file and folder under the data folder."""
        return DataLayout(Path(self.data_dir).resolve())

    def alerts(self) -> AlertSettings:
        """The alert channels, validated (``ValueError`` naming the variable otherwise)."""
        return alert_settings(
            {
                ENVIRONMENT[field]: getattr(self, field)
                for field in ENVIRONMENT
                if field.startswith("alert_")
            }
        )

    def build_settings(self) -> BuildSettings:
        """DuckDB's memory limit and spill folder and the pair steps' partitioning of the
        conflict builds (``ValueError`` naming the variable for a bad value)."""
        return build_settings({ENVIRONMENT[field]: getattr(self, field) for field in BUILD_FIELDS})

    def index_engine(self) -> EngineSettings:
        """Where the index steps may compute coverage: ``index_parallel`` (``0``: in-process
        only) and ``dask_scheduler`` (a running dask.distributed cluster), as
        :mod:`pipeline.index.engine` reads them."""
        return EngineSettings.from_environment(
            {
                ENVIRONMENT[field]: getattr(self, field)
                for field in ("index_parallel", "dask_scheduler")
            }
        )

    def __repr__(self) -> str:
        shown = {
            f: "***" if f in SECRETS and getattr(self, f) else getattr(self, f) for f in ENVIRONMENT
        }
        return f"LanduseSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


def landuse_settings(environ: Mapping[str, str], *, as_env_vars: bool) -> LanduseSettings:
    """The resource for ``environ`` (``os.environ``): each field the environment sets is a
    ``dg.EnvVar`` of its variable (``as_env_vars``, for the definitions) or its value (for
    code outside a run, `make run`'s own lines); the others keep their defaults."""
    values = {
        field: dg.EnvVar(var) if as_env_vars else environ[var]
        for field, var in ENVIRONMENT.items()
        if environ.get(var, "").strip()
    }
    return LanduseSettings(**values)


@dg.definitions
def defs() -> dg.Definitions:
    import os

    return dg.Definitions(resources={RESOURCE_KEY: landuse_settings(os.environ, as_env_vars=True)})
