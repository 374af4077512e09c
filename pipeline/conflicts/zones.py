"""Contiguous conflict zones: connected components of conflict cells over H3 neighbours."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline.index.h3grid import grid_disk


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
    rows = conflict_cells.assign(h3=conflict_cells["h3"].astype("uint64"))
    nodes = rows[["rule_id", "h3"]].drop_duplicates().reset_index(drop=True)
    nodes["node"] = np.arange(len(nodes))
    # neighbour edges: every cell's ring of neighbours that are conflict cells of the same rule
    source, neighbour = grid_disk(nodes["h3"].to_numpy(), k=1)
    ring = pd.DataFrame(
        {"from": source, "rule_id": nodes["rule_id"].to_numpy()[source], "h3": neighbour}
    )
    neighbours = ring.merge(nodes, on=["rule_id", "h3"])
    # conflict edges: every cell of a conflict linked to the conflict's first cell
    node_of_row = rows.merge(nodes, on=["rule_id", "h3"], how="left")["node"].to_numpy()
    first = pd.Series(node_of_row).groupby(rows["conflict_id"].to_numpy()).transform("first")
    start = np.concatenate([neighbours["from"].to_numpy(), node_of_row])
    end = np.concatenate([neighbours["node"].to_numpy(), first.to_numpy()])
    n = len(nodes)
    graph = coo_matrix((np.ones(len(start), dtype=np.int8), (start, end)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    zone_key = nodes["rule_id"] + ":" + labels.astype(str)
    conflict_zone = pd.DataFrame(
        {"conflict_id": rows["conflict_id"].to_numpy(), "node": node_of_row}
    ).drop_duplicates("conflict_id")
    members = pd.DataFrame(
        {
            "zone_key": zone_key.to_numpy()[conflict_zone["node"].to_numpy()],
            "conflict_id": conflict_zone["conflict_id"].to_numpy(),
        }
    )
    cells = pd.DataFrame({"zone_key": zone_key, "h3": nodes["h3"].astype("uint64")})
    return members, cells
