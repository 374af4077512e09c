"""The nightly job, its schedule, and the executor every run of these definitions uses."""

import dagster as dg

#: Every step of a run in the run's own process (docs/decisions.md, *Runs from the UI and
#: the schedule execute in process*): the steps take turns on the data folder's writer lock
#: anyway, and a process per step cost 12-20 s of start-up for 1-4 s of work.
EXECUTOR = dg.in_process_executor

nightly_job = dg.define_asset_job(
    name="nightly",
    selection=dg.AssetSelection.all(),
    description="Ingest every layer, index it into H3, find conflicts and publish the outputs.",
    executor_def=EXECUTOR,
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_schedule",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Stockholm",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Stockholm time.",
)


@dg.definitions
def defs() -> dg.Definitions:
    # the executor of every job without its own, the UI's "Materialize" selections included
    return dg.Definitions(jobs=[nightly_job], schedules=[nightly_schedule], executor=EXECUTOR)
