"""Contiguous conflict zones: connected components of conflict cells over H3 neighbours, and
each zone's shape, the union of its conflicts' exact overlaps."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline.index.h3grid import grid_disk

#: The grid (m, EPSG:3006) a zone's union snap-rounds its vertices to (:func:`zone_shapes`):
#: far below any survey's accuracy, and coarse enough that coordinates of Swedish size (up
#: to 8 · 10⁶ m) keep digits to spare in double precision (on a 1e-9 m grid the snap-rounding
#: union itself failed on the 3× default's zones; from 1e-8 m to 1e-4 m it never did).
ZONE_GRID_M = 1e-6


def zone_components(conflict_cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group conflicts into zones.

    Parameters
    ----------
    conflict_cells
        One row per (conflict, H3 cell): columns ``conflict_id``, ``rule_id``, ``h3`` (uint64).

    Returns
    -------
    members, cells
        ``members``: ``zone_key``, ``conflict_id``; ``cells``: ``zone_key``, ``h3``. Cells of
        one rule that are H3 neighbours (or share a cell) are in one zone, and all cells of
        one conflict are kept in one zone.
    """
    if conflict_cells.empty:
        return (
            pd.DataFrame({"zone_key": pd.Series(dtype=str), "conflict_id": pd.Series(dtype=str)}),
            pd.DataFrame({"zone_key": pd.Series(dtype=str), "h3": pd.Series(dtype="uint64")}),
        )
    # rules by integer code: merging on (code, cell) instead of (rule_id, cell) takes half
    # the time over Sweden's 138,616 (conflict, cell) rows and their 540,000 ring cells
    rule, rule_ids = pd.factorize(conflict_cells["rule_id"])
    rows = pd.DataFrame({"rule": rule, "h3": conflict_cells["h3"].to_numpy(dtype=np.uint64)})
    nodes = rows.drop_duplicates().reset_index(drop=True)
    nodes["node"] = np.arange(len(nodes))
    # neighbour edges: every cell's ring of neighbours that are conflict cells of the same rule
    source, neighbour = grid_disk(nodes["h3"].to_numpy(), k=1)
    ring = pd.DataFrame({"from": source, "rule": nodes["rule"].to_numpy()[source], "h3": neighbour})
    neighbours = ring.merge(nodes, on=["rule", "h3"])
    # conflict edges: every cell of a conflict linked to the conflict's first cell
    node_of_row = rows.merge(nodes, on=["rule", "h3"], how="left")["node"].to_numpy()
    conflict_ids = conflict_cells["conflict_id"].to_numpy()
    first = pd.Series(node_of_row).groupby(conflict_ids).transform("first")
    start = np.concatenate([neighbours["from"].to_numpy(), node_of_row])
    end = np.concatenate([neighbours["node"].to_numpy(), first.to_numpy()])
    n = len(nodes)
    graph = coo_matrix((np.ones(len(start), dtype=np.int8), (start, end)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    zone_key = pd.Series(rule_ids.take(nodes["rule"].to_numpy())) + ":" + labels.astype(str)
    conflict_zone = pd.DataFrame(
        {"conflict_id": conflict_ids, "node": node_of_row}
    ).drop_duplicates("conflict_id")
    members = pd.DataFrame(
        {
            "zone_key": zone_key.to_numpy()[conflict_zone["node"].to_numpy()],
            "conflict_id": conflict_zone["conflict_id"].to_numpy(),
        }
    )
    cells = pd.DataFrame({"zone_key": zone_key, "h3": nodes["h3"]})
    return members, cells


def zone_shapes(members: pd.DataFrame, known: Mapping[bytes, bytes] | None = None) -> pd.DataFrame:
    """The shape of each zone: the union of its conflicts' geometries.

    Parameters
    ----------
    members
        One row per (zone, conflict): ``zone_key``, ``conflict_id`` and ``wkb``, the
        conflict's geometry (EPSG:3006) as WKB.
    known
        Unions already made, by zone signature (an incremental build passes the last
        release's): a zone whose signature is here takes that shape instead of a new union.

    Returns
    -------
    pandas.DataFrame
        One row per zone, in ``zone_key`` order: ``zone_key``, ``signature`` (SHA-256 of its
        conflicts' ids and geometries in ``conflict_id`` order, on which alone the union
        depends) and ``wkb``, the union as WKB (Arrow binary, a BLOB in DuckDB even when
        there is no zone).

    Notes
    -----
    The conflicts of a zone are overlaps computed one pair at a time, so where two of them
    follow the same source boundary (two plans over one farmland block, a plan over two
    blocks that share an edge) their vertices lie on it only to within rounding: the edges
    are nearly, not exactly, collinear, and a floating-point union can fail to node them
    (GEOS: "TopologyException: Ring edge missing"). This union snap-rounds to the fixed grid
    :data:`ZONE_GRID_M` (GEOS OverlayNG with a fixed precision model), which nodes any input
    and always returns a valid shape; vertices move by at most half the grid, so an area
    changes by at most about its perimeter times 0.5 µm. Its members are unioned in
    ``conflict_id`` order, so a zone's shape is the same bits whichever build makes it.
    """
    wkb_type = pd.ArrowDtype(pa.binary())
    if members.empty:
        return pd.DataFrame(
            {
                "zone_key": pd.Series(dtype=str),
                "signature": pd.Series(dtype=wkb_type),
                "wkb": pd.Series(dtype=wkb_type),
            }
        )
    ordered = members.sort_values(["zone_key", "conflict_id"], kind="stable")
    keys = ordered["zone_key"].to_numpy()
    ids = ordered["conflict_id"].to_numpy()
    blobs = ordered["wkb"].to_numpy()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    signatures = [_signature(ids[s:e], blobs[s:e]) for s, e in zip(starts, ends, strict=True)]
    known = known or {}
    shapes = [
        known.get(sig)
        or shapely.to_wkb(shapely.union_all(shapely.from_wkb(blobs[s:e]), grid_size=ZONE_GRID_M))
        for sig, s, e in zip(signatures, starts, ends, strict=True)
    ]
    return pd.DataFrame(
        {
            "zone_key": keys[starts],
            # pyarrow makes the columns from the lists as they are; pd.Series(..., dtype=wkb_type)
            # first made a fixed-width numpy array, each row as wide as the largest zone's
            # WKB (Sweden: 11,112 x 14 KB = 159 MB; 0.36-0.48 s inside a night's build)
            "signature": pd.arrays.ArrowExtensionArray(pa.array(signatures, pa.binary())),
            "wkb": pd.arrays.ArrowExtensionArray(pa.array(shapes, pa.binary())),
        }
    )


def _signature(conflict_ids: np.ndarray, blobs: np.ndarray) -> bytes:
    """SHA-256 of a zone's conflicts' ids and WKB geometries, in the order given."""
    digest = hashlib.sha256()
    for conflict_id, blob in zip(conflict_ids, blobs, strict=True):
        digest.update(str(conflict_id).encode())
        digest.update(len(blob).to_bytes(8, "little"))
        digest.update(blob)
    return digest.digest()
