"""Report pages a planner reads without help: one per kommun of the study area and an index.

:func:`.pages.write_reports` is the release's ``reports`` output
(:mod:`pipeline.publish.outputs`); :mod:`.swedish` formats every number and date a person
reads, on the pages, the maps and the QGIS styles. Nothing is imported here, so
:mod:`pipeline.publish.styles` can use :mod:`.swedish` while :mod:`.pages` uses the styles'
colours.
"""
