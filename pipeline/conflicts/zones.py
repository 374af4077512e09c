"""Contiguous conflict zones: connected components of conflict cells over H3 neighbours."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


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
    nodes = conflict_cells[["rule_id", "h3"]].drop_duplicates().reset_index(drop=True)
    index = {(r, int(c)): i for i, (r, c) in enumerate(nodes.itertuples(index=False, name=None))}
    rows: list[int] = []
    cols: list[int] = []
    for i, (rule, cell) in enumerate(nodes.itertuples(index=False, name=None)):
        for neighbour in h3.grid_ring(h3.int_to_str(int(cell)), 1):
            j = index.get((rule, h3.str_to_int(neighbour)))
            if j is not None:
                rows.append(i)
                cols.append(j)
    node_of_row = np.fromiter(
        (
            index[(r, int(c))]
            for r, c in zip(conflict_cells["rule_id"], conflict_cells["h3"], strict=True)
        ),
        dtype=np.int64,
        count=len(conflict_cells),
    )
    first = (
        pd.Series(node_of_row).groupby(conflict_cells["conflict_id"].to_numpy()).transform("first")
    )
    rows.extend(node_of_row.tolist())
    cols.extend(first.to_numpy().tolist())
    n = len(nodes)
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    nodes["zone_key"] = nodes["rule_id"] + ":" + labels.astype(str)
    conflict_zone = pd.DataFrame(
        {"conflict_id": conflict_cells["conflict_id"].to_numpy(), "node": node_of_row}
    ).drop_duplicates("conflict_id")
    members = pd.DataFrame(
        {
            "zone_key": nodes["zone_key"].to_numpy()[conflict_zone["node"].to_numpy()],
            "conflict_id": conflict_zone["conflict_id"].to_numpy(),
        }
    )
    cells = nodes[["zone_key", "h3"]].copy()
    cells["h3"] = cells["h3"].astype("uint64")
    return members, cells
