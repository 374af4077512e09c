"""The nightly job and its schedule."""

import dagster as dg

nightly_job = dg.define_asset_job(
    name="nightly",
    selection=dg.AssetSelection.all(),
    description="Ingest every layer, index it into H3, find conflicts and publish the outputs.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_schedule",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Stockholm",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Stockholm time.",
)
