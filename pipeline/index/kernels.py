"""Compiled (numba) inner loops of the coverage fast path.

All coordinates are planar EPSG:3006 metres. Rings are given as flat ``x``/``y`` arrays with
``offsets`` (ring ``r`` is ``x[offsets[r]:offsets[r + 1]]``, closed: last vertex == first).
The functions release the GIL and are compiled once per machine (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def sample_rings(
    x: np.ndarray, y: np.ndarray, offsets: np.ndarray, spacing: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along each closed ring at arc-length steps of ``spacing`` (starting at vertex 0).

    Consecutive samples are at most ``spacing`` apart along the ring (the last one and the
    ring's start included), so every point of the ring lies within ``spacing / 2`` of a
    sample. Returns ``(sx, sy, ring)``.
    """
    nr = len(offsets) - 1
    counts = np.zeros(nr, dtype=np.int64)
    for r in range(nr):
        length = 0.0
        for i in range(offsets[r], offsets[r + 1] - 1):
            length += np.hypot(x[i + 1] - x[i], y[i + 1] - y[i])
        counts[r] = int(length / spacing) + 1
    total = counts.sum()
    sx = np.empty(total)
    sy = np.empty(total)
    sr = np.empty(total, dtype=np.int64)
    k = 0
    for r in range(nr):
        s, e = offsets[r], offsets[r + 1]
        sx[k] = x[s]
        sy[k] = y[s]
        sr[k] = r
        k += 1
        emitted = 1
        pos = 0.0  # arc length at the start of the current segment
        nxt = spacing  # arc length of the next sample
        for i in range(s, e - 1):
            dx = x[i + 1] - x[i]
            dy = y[i + 1] - y[i]
            seg = np.hypot(dx, dy)
            while emitted < counts[r] and nxt <= pos + seg:
                t = (nxt - pos) / seg if seg > 0 else 0.0
                sx[k] = x[i] + t * dx
                sy[k] = y[i] + t * dy
                sr[k] = r
                k += 1
                emitted += 1
                nxt += spacing
            pos += seg
        while emitted < counts[r]:  # rounding at the very end of the ring
            sx[k] = x[s]
            sy[k] = y[s]
            sr[k] = r
            k += 1
            emitted += 1
    return sx, sy, sr


@njit(cache=True, nogil=True)
def _cell_bounds(
    cx: np.ndarray, cy: np.ndarray, cs: int, ce: int
) -> tuple[float, float, float, float]:
    """Bounding box (xmin, ymin, xmax, ymax) of the cell polygon ``cx[cs:ce]``, ``cy[cs:ce]``."""
    xmin = xmax = cx[cs]
    ymin = ymax = cy[cs]
    for j in range(cs, ce):
        xmin = min(xmin, cx[j])
        xmax = max(xmax, cx[j])
        ymin = min(ymin, cy[j])
        ymax = max(ymax, cy[j])
    return xmin, ymin, xmax, ymax


@njit(cache=True, nogil=True)
def clip_areas(
    pair_feature: np.ndarray,
    pair_cell: np.ndarray,
    feature_rings: np.ndarray,
    ring_offsets: np.ndarray,
    rx: np.ndarray,
    ry: np.ndarray,
    ring_bounds: np.ndarray,
    cell_offsets: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
) -> np.ndarray:
    """Exact area of (feature ∩ convex cell) for each (feature, cell) pair.

    Each ring of the feature is clipped against the cell's convex hexagon with
    Sutherland–Hodgman and the signed shoelace areas are summed. Exterior rings must be
    counter-clockwise and holes clockwise (``shapely.orient_polygons``): the signed clipped
    area of a ring is then the integral of its winding number over the cell, and the sum over
    a valid polygon's rings is the area of the intersection. Rings whose bounding box misses
    the cell's are skipped. Coordinates are shifted to the cell's first vertex for precision.

    Parameters
    ----------
    pair_feature, pair_cell
        Index of the feature (into ``feature_rings``) and of the cell (into
        ``cell_offsets``) of each pair.
    feature_rings
        Rings of feature ``f`` are ``feature_rings[f]:feature_rings[f + 1]``.
    ring_offsets, rx, ry
        Closed rings (EPSG:3006).
    ring_bounds
        ``(n_rings, 4)`` xmin, ymin, xmax, ymax.
    cell_offsets, cx, cy
        Counter-clockwise cell polygons, open (first vertex not repeated).
    """
    n_pairs = len(pair_feature)
    out = np.zeros(n_pairs)
    cap = 64
    for r in range(len(ring_offsets) - 1):
        cap = max(cap, 2 * (ring_offsets[r + 1] - ring_offsets[r]) + 16)
    ax = np.empty(cap)
    ay = np.empty(cap)
    bx = np.empty(cap)
    by = np.empty(cap)
    for p in range(n_pairs):
        f = pair_feature[p]
        c = pair_cell[p]
        cs, ce = cell_offsets[c], cell_offsets[c + 1]
        m = ce - cs
        ox = cx[cs]
        oy = cy[cs]
        hxmin, hymin, hxmax, hymax = _cell_bounds(cx, cy, cs, ce)
        total = 0.0
        for r in range(feature_rings[f], feature_rings[f + 1]):
            if (
                ring_bounds[r, 0] > hxmax
                or ring_bounds[r, 2] < hxmin
                or ring_bounds[r, 1] > hymax
                or ring_bounds[r, 3] < hymin
            ):
                continue
            s = ring_offsets[r]
            n = ring_offsets[r + 1] - s - 1  # open ring
            if 2 * n + 16 > len(ax):
                cap = 2 * n + 16
                ax = np.empty(cap)
                ay = np.empty(cap)
                bx = np.empty(cap)
                by = np.empty(cap)
            for i in range(n):
                ax[i] = rx[s + i] - ox
                ay[i] = ry[s + i] - oy
            # Clip by each edge's half-plane (left of the counter-clockwise edge).
            for k in range(m):
                ex0 = cx[cs + k] - ox
                ey0 = cy[cs + k] - oy
                k1 = cs + k + 1 if k + 1 < m else cs
                ex1 = cx[k1] - ox
                ey1 = cy[k1] - oy
                ux = ex1 - ex0
                uy = ey1 - ey0
                if 2 * n + 16 > len(bx):
                    cap = 2 * n + 16
                    nax = np.empty(cap)
                    nay = np.empty(cap)
                    nax[:n] = ax[:n]
                    nay[:n] = ay[:n]
                    ax = nax
                    ay = nay
                    bx = np.empty(cap)
                    by = np.empty(cap)
                cnt = 0
                px = ax[n - 1]
                py = ay[n - 1]
                dp = ux * (py - ey0) - uy * (px - ex0)
                for i in range(n):
                    qx = ax[i]
                    qy = ay[i]
                    dq = ux * (qy - ey0) - uy * (qx - ex0)
                    if dq >= 0.0:
                        if dp < 0.0:
                            t = dp / (dp - dq)
                            bx[cnt] = px + t * (qx - px)
                            by[cnt] = py + t * (qy - py)
                            cnt += 1
                        bx[cnt] = qx
                        by[cnt] = qy
                        cnt += 1
                    elif dp >= 0.0:
                        t = dp / (dp - dq)
                        bx[cnt] = px + t * (qx - px)
                        by[cnt] = py + t * (qy - py)
                        cnt += 1
                    px = qx
                    py = qy
                    dp = dq
                ax, bx = bx, ax
                ay, by = by, ay
                n = cnt
                if n < 3:
                    break
            if n >= 3:
                a2 = 0.0
                for i in range(n):
                    i1 = i + 1 if i + 1 < n else 0
                    a2 += ax[i] * ay[i1] - ax[i1] * ay[i]
                total += 0.5 * a2
        out[p] = total
    return out


@njit(cache=True, nogil=True)
def clip_lengths(
    pair_feature: np.ndarray,
    pair_cell: np.ndarray,
    feature_lines: np.ndarray,
    line_offsets: np.ndarray,
    lx: np.ndarray,
    ly: np.ndarray,
    line_bounds: np.ndarray,
    cell_offsets: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
) -> np.ndarray:
    """Exact length of (feature's lines ∩ convex cell) for each (feature, cell) pair.

    Every segment of every line of the feature is clipped against the cell's convex,
    counter-clockwise hexagon (Cyrus–Beck: the parameter range of the segment left of every
    edge) and the clipped lengths are summed. A segment lying exactly on an edge shared by
    two cells counts in both (a case of measure zero the caller's self-check catches). Lines
    whose bounding box misses the cell's are skipped; coordinates are shifted to the cell's
    first vertex for precision.

    Parameters
    ----------
    pair_feature, pair_cell
        Index of the feature (into ``feature_lines``) and of the cell (into
        ``cell_offsets``) of each pair.
    feature_lines
        Lines of feature ``f`` are ``feature_lines[f]:feature_lines[f + 1]``.
    line_offsets, lx, ly
        Open polylines (EPSG:3006): line ``l`` is ``lx[line_offsets[l]:line_offsets[l + 1]]``.
    line_bounds
        ``(n_lines, 4)`` xmin, ymin, xmax, ymax.
    cell_offsets, cx, cy
        Counter-clockwise cell polygons, open (first vertex not repeated).
    """
    n_pairs = len(pair_feature)
    out = np.zeros(n_pairs)
    for p in range(n_pairs):
        f = pair_feature[p]
        c = pair_cell[p]
        cs, ce = cell_offsets[c], cell_offsets[c + 1]
        m = ce - cs
        ox = cx[cs]
        oy = cy[cs]
        hxmin, hymin, hxmax, hymax = _cell_bounds(cx, cy, cs, ce)
        total = 0.0
        for ln in range(feature_lines[f], feature_lines[f + 1]):
            if (
                line_bounds[ln, 0] > hxmax
                or line_bounds[ln, 2] < hxmin
                or line_bounds[ln, 1] > hymax
                or line_bounds[ln, 3] < hymin
            ):
                continue
            for i in range(line_offsets[ln], line_offsets[ln + 1] - 1):
                x0 = lx[i] - ox
                y0 = ly[i] - oy
                dx = lx[i + 1] - lx[i]
                dy = ly[i + 1] - ly[i]
                t0 = 0.0
                t1 = 1.0
                for k in range(m):
                    ex0 = cx[cs + k] - ox
                    ey0 = cy[cs + k] - oy
                    k1 = cs + k + 1 if k + 1 < m else cs
                    ux = cx[k1] - ox - ex0
                    uy = cy[k1] - oy - ey0
                    # inside = left of the edge: cross(u, P(t) - e0) >= 0
                    num = ux * (y0 - ey0) - uy * (x0 - ex0)
                    den = ux * dy - uy * dx
                    if den == 0.0:
                        if num < 0.0:
                            t1 = -1.0
                            break
                    elif den > 0.0:
                        t0 = max(t0, -num / den)
                    else:
                        t1 = min(t1, -num / den)
                    if t0 >= t1:
                        break
                if t1 > t0:
                    total += (t1 - t0) * np.hypot(dx, dy)
        out[p] = total
    return out
