"""The ingest stage's entry point: one layer staged (or recognised unchanged) and reported."""

from __future__ import annotations

from pathlib import Path

from pipeline.config.models import LayerSpec
from pipeline.ingest.layer import ingest_layer
from pipeline.ingest.staged import NORMALISE_VERSION, staged_preview
from pipeline.layout import DataLayout
from pipeline.report import StageReport

#: Above this share of the features read dropped as duplicates, the id field is probably
#: not an identifier, and ingest says so.
DUPLICATE_WARNING_SHARE = 0.1


def duplicate_warning(spec: LayerSpec, duplicates: int, read: int) -> str | None:
    """A warning when many features were dropped for sharing a ``feature_id``, else None."""
    if read == 0 or duplicates <= DUPLICATE_WARNING_SHARE * read:
        return None
    return (
        f"warning: {duplicates} of {read} features dropped as duplicates of another with the "
        f"same {spec.id_field!r}: is id_field really unique in this source? (set another "
        "id_field, or dedupe: {field, prefer} to choose which copy is kept)"
    )


def run_ingest(spec: LayerSpec, *, base_dir: Path, layout: DataLayout) -> StageReport:
    """The ingest stage for one layer: stage it (or recognise it unchanged) and report.

    The skip decision is :func:`ingest_layer`'s: a source whose input key equals the staged
    copy's is not re-read (status ``unchanged``). ``data_version`` is that input key.
    """
    outcome = ingest_layer(spec, base_dir=base_dir, layout=layout)
    prov = outcome.provenance
    line = f"ingest {spec.name}: {outcome.state}"
    if prov is not None:
        line += (
            f", {prov.features_kept} features kept of {prov.features_read} read "
            f"({prov.features_repaired} repaired, {prov.features_dropped} dropped)"
        )
    if outcome.error:
        line += f" — {outcome.error}"
    warning = (
        duplicate_warning(spec, prov.dropped_duplicate, prov.features_read)
        if prov is not None and outcome.state == "fresh"
        else None
    )
    if warning:
        line += f" — {warning}"
    metadata: dict[str, object] = {"status": outcome.state, "error": outcome.error or ""}
    if prov is not None:
        metadata.update(
            {
                "source": prov.source,
                "sha256": prov.sha256,
                "retrieved_at": prov.retrieved_at,
                "features_read": prov.features_read,
                "features_repaired": prov.features_repaired,
                "features_dropped": prov.features_dropped,
                "dagster/row_count": prov.features_kept,
                "code_version": NORMALISE_VERSION,
                "dropped_duplicate": prov.dropped_duplicate,
            }
        )
        if warning:
            metadata["warning"] = warning
        if outcome.state == "fresh":
            preview = staged_preview(layout, spec.name)
            metadata["preview_markdown"] = preview.to_markdown(index=False)
    return StageReport(
        status=outcome.state,
        skipped=outcome.state == "unchanged",
        reason="same source bytes, catalogue entry and code as the staged copy"
        if outcome.state == "unchanged"
        else "",
        lines=[line],
        metadata=metadata,
        data_version=prov.input_key if prov is not None else None,
        error=outcome.error,
    )
