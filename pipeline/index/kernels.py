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
    seg = np.empty(len(x))  # length of the segment starting at each vertex
    counts = np.zeros(nr, dtype=np.int64)
    for r in range(nr):
        length = 0.0
        for i in range(offsets[r], offsets[r + 1] - 1):
            dx = x[i + 1] - x[i]
            dy = y[i + 1] - y[i]
            seg[i] = np.sqrt(dx * dx + dy * dy)
            length += seg[i]
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
            length = seg[i]
            if emitted < counts[r] and nxt <= pos + length:
                dx = x[i + 1] - x[i]
                dy = y[i + 1] - y[i]
                while emitted < counts[r] and nxt <= pos + length:
                    t = (nxt - pos) / length if length > 0 else 0.0
                    sx[k] = x[i] + t * dx
                    sy[k] = y[i] + t * dy
                    sr[k] = r
                    k += 1
                    emitted += 1
                    nxt += spacing
            pos += length
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


@njit(cache=True, nogil=True, inline="always")
def _outcode(x: float, y: float, xmin: float, ymin: float, xmax: float, ymax: float) -> int:
    """Which sides of the box ``x, y`` lies strictly beyond (bits: left, right, below, above)."""
    return (
        (1 if x < xmin else 0)
        | (2 if x > xmax else 0)
        | (4 if y < ymin else 0)
        | (8 if y > ymax else 0)
    )


@njit(cache=True, nogil=True)
def _near_vertices(
    rx: np.ndarray,
    ry: np.ndarray,
    s: int,
    n: int,
    xmin: float,
    ymin: float,
    xmax: float,
    ymax: float,
    ox: float,
    oy: float,
    ax: np.ndarray,
    ay: np.ndarray,
) -> int:
    """Copy the open ring ``rx[s:s + n]`` (shifted by ``-ox, -oy``) into ``ax, ay`` without
    the vertices that cannot matter to its clip by a convex cell inside the box; returns how
    many were kept.

    A vertex is dropped when it, the last kept vertex and the next vertex lie strictly
    beyond the same side of the box: the triangle the shortcut cuts off lies in that open
    half-plane, outside the cell, so the ring's winding number over the cell, hence its
    signed clipped area, is unchanged. Long runs of vertices far from the cell shrink to
    their ends, so the clip works on a handful of vertices instead of the whole ring.
    """
    ax[0] = rx[s] - ox
    ay[0] = ry[s] - oy
    kept = 1
    last = _outcode(rx[s], ry[s], xmin, ymin, xmax, ymax)
    cur = _outcode(rx[s + 1], ry[s + 1], xmin, ymin, xmax, ymax) if n > 1 else 0
    for i in range(1, n):
        nxt = _outcode(rx[s + i + 1], ry[s + i + 1], xmin, ymin, xmax, ymax)  # closed ring
        if (last & cur & nxt) == 0:
            ax[kept] = rx[s + i] - ox
            ay[kept] = ry[s + i] - oy
            kept += 1
            last = cur
        cur = nxt
    return kept


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
            n = _near_vertices(rx, ry, s, n, hxmin, hymin, hxmax, hymax, ox, oy, ax, ay)
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


@njit(cache=True, nogil=True)
def points_in_features(
    point_feature: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    feature_rings: np.ndarray,
    ring_offsets: np.ndarray,
    rx: np.ndarray,
    ry: np.ndarray,
    ring_bounds: np.ndarray,
) -> np.ndarray:
    """Whether each point lies inside its feature (even-odd rule over all the feature's rings).

    For a valid (Multi)Polygon the parity of the crossings of a ray to +x with all its rings
    is 1 exactly inside it (holes and islands in holes included). Meant for points far from
    the boundary (cell centres off the boundary band): a point on the boundary gets either
    answer. Rings whose bounding box misses the point are skipped (a ray meets them an even
    number of times).
    """
    out = np.zeros(len(point_feature), dtype=np.bool_)
    for q in range(len(point_feature)):
        f = point_feature[q]
        x = px[q]
        y = py[q]
        inside = False
        for r in range(feature_rings[f], feature_rings[f + 1]):
            if (
                x < ring_bounds[r, 0]
                or x > ring_bounds[r, 2]
                or y < ring_bounds[r, 1]
                or y > ring_bounds[r, 3]
            ):
                continue
            for i in range(ring_offsets[r], ring_offsets[r + 1] - 1):
                y0 = ry[i]
                y1 = ry[i + 1]
                if (y0 > y) != (y1 > y):
                    xi = rx[i] + (y - y0) * (rx[i + 1] - rx[i]) / (y1 - y0)
                    if x < xi:
                        inside = not inside
        out[q] = inside
    return out


#: Shewchuk's error bound of the floating-point 2-d orientation determinant, (3 + 16 ε) ε.
_ORIENT_ERR = 3.3306690738754716e-16


@njit(cache=True, nogil=True, inline="always")
def _orient(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> int:
    """Side of ``c`` from the line ``a -> b``: 1 left, -1 right, 0 on it *or too close to
    tell* in floating point (Shewchuk's static filter: only certain signs are returned)."""
    detl = (bx - ax) * (cy - ay)
    detr = (by - ay) * (cx - ax)
    det = detl - detr
    bound = _ORIENT_ERR * (abs(detl) + abs(detr))
    if det > bound:
        return 1
    if -det > bound:
        return -1
    return 0


@njit(cache=True, nogil=True)
def _point_in_ring(
    x: float, y: float, s: int, e: int, rx: np.ndarray, ry: np.ndarray, bounds: np.ndarray, r: int
) -> int:
    """1 if ``(x, y)`` is certainly inside the closed ring ``rx[s:e]``, 0 certainly outside,
    -1 when floating point cannot tell (the point is on or extremely near the ring)."""
    if x < bounds[r, 0] or x > bounds[r, 2] or y < bounds[r, 1] or y > bounds[r, 3]:
        return 0
    winding = 0
    for i in range(s, e - 1):
        ax = rx[i]
        ay = ry[i]
        bx = rx[i + 1]
        by = ry[i + 1]
        if ay <= y:
            if by > y:
                o = _orient(ax, ay, bx, by, x, y)
                if o == 0:
                    return -1
                if o > 0:
                    winding += 1
        elif by <= y:
            o = _orient(ax, ay, bx, by, x, y)
            if o == 0:
                return -1
            if o < 0:
                winding -= 1
    return 1 if winding != 0 else 0


@njit(cache=True, nogil=True)
def _rings_disjoint_and_simple(
    r0: int, r1: int, offsets: np.ndarray, x: np.ndarray, y: np.ndarray, max_tests: int
) -> bool:
    """True only when the rings ``r0:r1`` are certainly simple and pairwise disjoint: no two
    of their segments meet, except consecutive segments of one ring at their shared vertex
    (and those are not collinear). A sweep over the segments in order of their smallest x;
    False as soon as two segments may touch, a segment is degenerate, or more than
    ``max_tests`` pairs would need testing."""
    m = offsets[r1] - offsets[r0] - (r1 - r0)
    xmin = np.empty(m)
    start = np.empty(m, dtype=np.int64)  # index of each segment's first vertex
    after = np.empty(m, dtype=np.int64)  # first vertex of the ring's next segment
    k = 0
    for r in range(r0, r1):
        s = offsets[r]
        e = offsets[r + 1] - 1  # the closing vertex
        for i in range(s, e):
            nxt = i + 1 if i + 1 < e else s
            # Consecutive segments share one vertex; they must turn, not fold back.
            if _orient(x[i], y[i], x[i + 1], y[i + 1], x[nxt + 1], y[nxt + 1]) == 0:
                return False
            start[k] = i
            after[k] = nxt
            xmin[k] = min(x[i], x[i + 1])
            k += 1
    # Sweep order: a counting sort by bucket of the smallest x (``m`` equal buckets).
    lo_x = xmin.min()
    width = (xmin.max() - lo_x) / m
    bucket = np.empty(m, dtype=np.int64)
    count = np.zeros(m + 1, dtype=np.int64)
    for k in range(m):
        bk = int((xmin[k] - lo_x) / width) if width > 0.0 else 0
        bk = min(max(bk, 0), m - 1)
        bucket[k] = bk
        count[bk + 1] += 1
    for k in range(m):
        count[k + 1] += count[k]
    order = np.empty(m, dtype=np.int64)
    for k in range(m):
        order[count[bucket[k]]] = k
        count[bucket[k]] += 1
    # The segments in sweep order, contiguous for the inner loop; ``xs`` is where each one's
    # bucket starts (non-decreasing, at most its smallest x).
    xs = np.empty(m)
    x0 = np.empty(m)
    y0 = np.empty(m)
    x1 = np.empty(m)
    y1 = np.empty(m)
    lo = np.empty(m)
    hi = np.empty(m)
    first = np.empty(m, dtype=np.int64)
    nxt_of = np.empty(m, dtype=np.int64)
    for k in range(m):
        o = order[k]
        i = start[o]
        xs[k] = lo_x + bucket[o] * width
        first[k] = i
        nxt_of[k] = after[o]
        x0[k] = x[i]
        y0[k] = y[i]
        x1[k] = x[i + 1]
        y1[k] = y[i + 1]
        lo[k] = min(y[i], y[i + 1])
        hi[k] = max(y[i], y[i + 1])
    tests = 0
    for a in range(m):
        ax0 = x0[a]
        ay0 = y0[a]
        ax1 = x1[a]
        ay1 = y1[a]
        axmin = min(ax0, ax1)
        axmax = max(ax0, ax1)
        aymin = lo[a]
        aymax = hi[a]
        for b in range(a + 1, m):
            if xs[b] > axmax:
                break
            if lo[b] > aymax or hi[b] < aymin:
                continue
            if min(x0[b], x1[b]) > axmax or max(x0[b], x1[b]) < axmin:
                continue
            if nxt_of[a] == first[b] or nxt_of[b] == first[a]:
                continue  # consecutive: checked above
            tests += 1
            if tests > max_tests:
                return False
            bx0 = x0[b]
            by0 = y0[b]
            bx1 = x1[b]
            by1 = y1[b]
            o1 = _orient(ax0, ay0, ax1, ay1, bx0, by0)
            if o1 != 0 and o1 == _orient(ax0, ay0, ax1, ay1, bx1, by1):
                continue
            o3 = _orient(bx0, by0, bx1, by1, ax0, ay0)
            if o3 != 0 and o3 == _orient(bx0, by0, bx1, by1, ax1, ay1):
                continue
            return False
    return True


@njit(cache=True, nogil=True)
def surely_valid(
    feature_parts: np.ndarray,
    part_rings: np.ndarray,
    ring_offsets: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    ring_bounds: np.ndarray,
) -> np.ndarray:
    """A sufficient test of OGC validity for each (Multi)Polygon: True only when certain.

    True when every ring has at least 4 finite coordinates, all the feature's rings are
    simple and pairwise disjoint (not even touching: ``_rings_disjoint_and_simple``), every
    hole lies inside its own shell and outside the part's other holes, and no part's shell
    lies in another part's area. Such a polygon is valid (its interior is connected because
    no rings touch). False means "not shown valid here": the caller asks GEOS, so a valid
    polygon with touching rings, or one too close to call in floating point, is still
    accepted.

    Parameters
    ----------
    feature_parts
        Parts (polygons) of feature ``f`` are ``feature_parts[f]:feature_parts[f + 1]``.
    part_rings
        Rings of part ``p`` are ``part_rings[p]:part_rings[p + 1]``, the shell first.
    ring_offsets, x, y, ring_bounds
        Closed rings (EPSG:3006) and their bounding boxes.
    """
    nf = len(feature_parts) - 1
    out = np.zeros(nf, dtype=np.bool_)
    for f in range(nf):
        p0 = feature_parts[f]
        p1 = feature_parts[f + 1]
        r0 = part_rings[p0]
        r1 = part_rings[p1]
        ok = p1 > p0
        n_coords = 0
        for p in range(p0, p1):
            if part_rings[p + 1] == part_rings[p]:  # a part without a shell
                ok = False
        for r in range(r0, r1):
            s = ring_offsets[r]
            e = ring_offsets[r + 1]
            n_coords += e - s
            if e - s < 4:
                ok = False
            for i in range(s, e):
                if not (np.isfinite(x[i]) and np.isfinite(y[i])):
                    ok = False
        if not ok:
            continue
        if not _rings_disjoint_and_simple(r0, r1, ring_offsets, x, y, 32 * n_coords + 1024):
            continue
        # Nesting. Rings are disjoint, so one vertex decides on which side of a ring a ring is.
        for p in range(p0, p1):
            shell = part_rings[p]
            for h in range(shell + 1, part_rings[p + 1]):
                v = ring_offsets[h]
                if (
                    _point_in_ring(
                        x[v], y[v], ring_offsets[shell], ring_offsets[shell + 1], x, y,
                        ring_bounds, shell,
                    )
                    != 1
                ):  # fmt: skip
                    ok = False
                for h2 in range(shell + 1, part_rings[p + 1]):
                    if h2 != h and _point_in_ring(
                        x[v], y[v], ring_offsets[h2], ring_offsets[h2 + 1], x, y, ring_bounds, h2
                    ) != 0:  # fmt: skip
                        ok = False
            v = ring_offsets[shell]
            for q in range(p0, p1):
                if q == p or not ok:
                    continue
                other = part_rings[q]
                side = _point_in_ring(
                    x[v], y[v], ring_offsets[other], ring_offsets[other + 1], x, y,
                    ring_bounds, other,
                )  # fmt: skip
                if side == -1:
                    ok = False
                elif side == 1:  # inside the other shell: valid only inside one of its holes
                    in_hole = False
                    for h in range(other + 1, part_rings[q + 1]):
                        hs = _point_in_ring(
                            x[v], y[v], ring_offsets[h], ring_offsets[h + 1], x, y,
                            ring_bounds, h,
                        )  # fmt: skip
                        if hs == -1:
                            ok = False
                        elif hs == 1:
                            in_hole = True
                    if not in_hole:
                        ok = False
            if not ok:
                break
        out[f] = ok
    return out


@njit(cache=True, nogil=True)
def orient_rings(x: np.ndarray, y: np.ndarray, offsets: np.ndarray, is_shell: np.ndarray) -> None:
    """Reverse, in place, every closed ring whose orientation is not the kernels' convention:
    shells counter-clockwise, holes clockwise (what ``shapely.orient_polygons`` with
    ``exterior_cw=False`` does, without building new geometries)."""
    for r in range(len(offsets) - 1):
        s = offsets[r]
        e = offsets[r + 1]
        x0 = x[s]
        y0 = y[s]
        a2 = 0.0
        for i in range(s, e - 1):
            a2 += (x[i] - x0) * (y[i + 1] - y0) - (x[i + 1] - x0) * (y[i] - y0)
        if (a2 < 0.0) == is_shell[r]:
            i = s
            j = e - 1
            while i < j:
                x[i], x[j] = x[j], x[i]
                y[i], y[j] = y[j], y[i]
                i += 1
                j -= 1


@njit(cache=True, nogil=True, inline="always")
def _cross(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
    """Twice the signed area of the triangle ``a, b, c`` (positive: counter-clockwise)."""
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


@njit(cache=True, nogil=True)
def convex_pieces(
    x: np.ndarray, y: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split counter-clockwise simple open rings (cells) into convex pieces for the clips.

    A convex ring (no clockwise turn) is one piece, its vertices as given, so clipping it is
    unchanged. Any other ring — an H3 cell that crosses an icosahedron edge has one or two
    extra "distortion" vertices, and in EPSG:3006 some of them turn inward by metres — is
    ear-clipped into triangles of its own vertices (no new points). The pieces partition
    the ring, so the clipped areas (or lengths) of the pieces add up to the ring's.

    Returns
    -------
    (px, py, piece_offsets, ring_pieces)
        Piece ``k`` is ``px[piece_offsets[k]:piece_offsets[k + 1]]`` (open, counter-
        clockwise); ring ``r`` owns pieces ``ring_pieces[r]:ring_pieces[r + 1]``.
    """
    nr = len(offsets) - 1
    convex = np.ones(nr, dtype=np.bool_)
    n_pieces = 0
    n_vertices = 0
    for r in range(nr):
        s = offsets[r]
        m = offsets[r + 1] - s
        for i in range(m):
            a = s + (i - 1) % m
            b = s + i
            c = s + (i + 1) % m
            if _cross(x[a], y[a], x[b], y[b], x[c], y[c]) < 0.0:
                convex[r] = False
                break
        if convex[r]:
            n_pieces += 1
            n_vertices += m
        else:
            n_pieces += m - 2
            n_vertices += 3 * (m - 2)
    px = np.empty(n_vertices)
    py = np.empty(n_vertices)
    piece_offsets = np.zeros(n_pieces + 1, dtype=np.int64)
    ring_pieces = np.zeros(nr + 1, dtype=np.int64)
    k = 0  # pieces written
    v = 0  # vertices written
    for r in range(nr):
        s = offsets[r]
        m = offsets[r + 1] - s
        if convex[r]:
            for i in range(m):
                px[v] = x[s + i]
                py[v] = y[s + i]
                v += 1
            k += 1
            piece_offsets[k] = v
            ring_pieces[r + 1] = k
            continue
        # Ear clipping: cut off a convex corner whose triangle holds no other vertex.
        idx = np.arange(s, s + m)
        left = m
        while left > 3:
            cut = -1
            for a in range(left):
                i0 = idx[(a - 1) % left]
                i1 = idx[a]
                i2 = idx[(a + 1) % left]
                if _cross(x[i0], y[i0], x[i1], y[i1], x[i2], y[i2]) <= 0.0:
                    continue
                ear = True
                for b in range(left):
                    j = idx[b]
                    if j in (i0, i1, i2):
                        continue
                    if (
                        _cross(x[i0], y[i0], x[i1], y[i1], x[j], y[j]) >= 0.0
                        and _cross(x[i1], y[i1], x[i2], y[i2], x[j], y[j]) >= 0.0
                        and _cross(x[i2], y[i2], x[i0], y[i0], x[j], y[j]) >= 0.0
                    ):
                        ear = False
                        break
                if ear:
                    cut = a
                    break
            if cut < 0:  # not a simple ring: a fan keeps the piece count (caller checks)
                cut = 1
            for j in (idx[(cut - 1) % left], idx[cut], idx[(cut + 1) % left]):
                px[v] = x[j]
                py[v] = y[j]
                v += 1
            k += 1
            piece_offsets[k] = v
            for b in range(cut, left - 1):
                idx[b] = idx[b + 1]
            left -= 1
        for b in range(3):
            px[v] = x[idx[b]]
            py[v] = y[idx[b]]
            v += 1
        k += 1
        piece_offsets[k] = v
        ring_pieces[r + 1] = k
    return px, py, piece_offsets, ring_pieces
