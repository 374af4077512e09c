"""Report pages a planner reads without help: one per kommun of the study area and an index.

:func:`write_reports` is the release's ``reports`` output (:mod:`pipeline.publish.outputs`);
:mod:`.swedish` formats every number and date a person reads, here and on the maps.
"""

from pipeline.publish.reports.pages import INDEX, page_release_id, reports_release_id, write_reports

__all__ = ["INDEX", "page_release_id", "reports_release_id", "write_reports"]
