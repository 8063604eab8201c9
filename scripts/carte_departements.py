#!/usr/bin/env python3
"""Regenerates src/publish/map/departements.txt, the compact département geometry of the
choropleth map (src/publish/map/), from `departements-avec-outre-mer.geojson` of the
public repository gregoiredavid/france-geojson (IGN ADMIN EXPRESS COG 2018, Licence
Ouverte). Standard library only.

    python3 scripts/carte_departements.py departements-avec-outre-mer.geojson \
        > src/publish/map/departements.txt

Steps (documented in src/publish/map/SOURCE.md):
1. projection: metropolitan France (and Corsica) in Lambert-93 (EPSG:2154, exact
   ellipsoidal formulas); each DROM in a Lambert azimuthal equal-area projection
   (sphere) centred on its own bounding box;
2. topology: rings are cut into arcs at the points where neighbours change, so that a
   border shared by two départements is simplified once and stays shared;
3. simplification: Douglas-Peucker on each arc (tolerance per zone, below);
4. islands smaller than MIN_ISLAND_KM2 are dropped (a département keeps its largest
   polygon whatever its size);
5. quantisation: integer coordinates in units of QUANTUM metres, x to the east and y
   to the south (SVG orientation), relative to the zone's north-west corner; each ring
   is written as its first point then deltas.
"""
import json
import math
import sys

QUANTUM = 100.0  # metres per integer unit
# Douglas-Peucker tolerance in metres per zone; Paris and its inner ring (drawn again in
# a zoomed inset) keep a finer outline.
TOLERANCE = {"metro": 1200.0, "971": 250.0, "972": 200.0, "973": 1500.0, "974": 250.0,
             "976": 150.0}
TOLERANCE_PARIS = 150.0
PARIS = {"75", "92", "93", "94"}
MIN_ISLAND_KM2 = {"metro": 12.0, "971": 3.0, "972": 1.0, "973": 10.0, "974": 1.0,
                  "976": 0.5}
DROM = ("971", "972", "973", "974", "976")


def lambert93(lon, lat):
    a, f = 6378137.0, 1 / 298.257222101
    e = math.sqrt(f * (2 - f))
    p1, p2, p0, l0 = map(math.radians, (44.0, 49.0, 46.5, 3.0))

    def m(p):
        return math.cos(p) / math.sqrt(1 - (e * math.sin(p)) ** 2)

    def t(p):
        s = e * math.sin(p)
        return math.tan(math.pi / 4 - p / 2) / ((1 - s) / (1 + s)) ** (e / 2)

    n = (math.log(m(p1)) - math.log(m(p2))) / (math.log(t(p1)) - math.log(t(p2)))
    big_f = m(p1) / (n * t(p1) ** n)
    rho0 = a * big_f * t(p0) ** n
    rho = a * big_f * t(math.radians(lat)) ** n
    theta = n * (math.radians(lon) - l0)
    return 700000.0 + rho * math.sin(theta), 6600000.0 + rho0 - rho * math.cos(theta)


def laea(lon0, lat0):
    r = 6371007.2  # authalic radius of GRS80
    p0, l0 = math.radians(lat0), math.radians(lon0)

    def proj(lon, lat):
        p, dl = math.radians(lat), math.radians(lon) - l0
        k = math.sqrt(2 / (1 + math.sin(p0) * math.sin(p) + math.cos(p0) * math.cos(p) * math.cos(dl)))
        return (r * k * math.cos(p) * math.sin(dl),
                r * k * (math.cos(p0) * math.sin(p) - math.sin(p0) * math.cos(p) * math.cos(dl)))

    return proj


def polygons(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


def ring_area(ring):
    s = 0.0
    for i in range(len(ring)):
        x1, y1 = ring[i - 1]
        x2, y2 = ring[i]
        s += x1 * y2 - x2 * y1
    return s / 2


def dp(points, tol):
    """Douglas-Peucker keeping both ends; returns the kept indices."""
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        (x1, y1), (x2, y2) = points[i], points[j]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        best, best_k = -1.0, -1
        for k in range(i + 1, j):
            x, y = points[k]
            if norm == 0:
                d = math.hypot(x - x1, y - y1)
            else:
                d = abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm
            if d > best:
                best, best_k = d, k
        if best > tol:
            keep.add(best_k)
            stack.append((i, best_k))
            stack.append((best_k, j))
    return [points[k] for k in sorted(keep)]


def main():
    src = json.load(open(sys.argv[1], encoding="utf-8"))
    features = sorted(src["features"], key=lambda f: f["properties"]["code"])
    # Zone and projection of each feature.
    projections = {"metro": lambert93}
    for f in features:
        code = f["properties"]["code"]
        if code in DROM:
            lons = [p[0] for poly in polygons(f["geometry"]) for p in poly[0]]
            lats = [p[1] for poly in polygons(f["geometry"]) for p in poly[0]]
            projections[code] = laea((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)
    # Rings as lists of source points (lon, lat), closing point removed.
    rings = []  # (code, zone, polygon index, ring index, points)
    for f in features:
        code = f["properties"]["code"]
        zone = code if code in DROM else "metro"
        for pi, poly in enumerate(polygons(f["geometry"])):
            for ri, ring in enumerate(poly):
                pts = [tuple(p) for p in ring]
                if pts[0] == pts[-1]:
                    pts = pts[:-1]
                rings.append((code, zone, pi, ri, pts))
    # Junctions: points visited with different neighbours.
    seen, junction = {}, set()
    for *_, pts in rings:
        n = len(pts)
        for i, p in enumerate(pts):
            pair = (pts[i - 1], pts[(i + 1) % n])
            old = seen.get(p)
            if old is None:
                seen[p] = pair
            elif old != pair and old != (pair[1], pair[0]):
                junction.add(p)
    # Arcs: each ring as a list of (arc, reversed) with arcs in a canonical direction;
    # an arc is simplified once, at the finest tolerance of the rings that use it.
    def canonical(arc):
        rev = tuple(reversed(arc))
        key = tuple(arc)
        return (key, False) if key <= rev else (rev, True)

    ring_arcs = []
    tolerance = {}
    for code, zone, pi, ri, pts in rings:
        tol = TOLERANCE_PARIS if code in PARIS else TOLERANCE[zone]
        cuts = [i for i, p in enumerate(pts) if p in junction]
        if not cuts:
            # Closed ring without junction: canonical start at its smallest point.
            s = pts.index(min(pts))
            loop = pts[s:] + pts[:s]
            arcs = [canonical(loop + [loop[0]])]
        else:
            rot = pts[cuts[0]:] + pts[:cuts[0]] + [pts[cuts[0]]]
            idx = [c - cuts[0] for c in cuts] + [len(pts)]
            arcs = [canonical(rot[a:b + 1]) for a, b in zip(idx, idx[1:])]
        for key, _ in arcs:
            tolerance[key] = min(tolerance.get(key, tol), tol)
        ring_arcs.append((code, zone, pi, ri, arcs))
    simplified = {}
    out_rings = []
    for code, zone, pi, ri, arcs in ring_arcs:
        xy = []
        for key, rev in arcs:
            if key not in simplified:
                proj = projections[zone]
                simplified[key] = dp([proj(*p) for p in key], tolerance[key])
            kept = simplified[key]
            xy.extend((list(reversed(kept)) if rev else kept)[:-1])
        out_rings.append((code, zone, pi, ri, xy))
    # Islands: drop small polygons, but keep each département's largest one.
    areas = {}
    for code, zone, pi, ri, xy in out_rings:
        if ri == 0:
            areas[(code, pi)] = abs(ring_area(xy)) / 1e6
    largest = {}
    for (code, pi), a in areas.items():
        if code not in largest or a > areas[(code, largest[code])]:
            largest[code] = pi
    # Zone frames (north-west corner) from the kept rings.
    kept = [r for r in out_rings
            if len(r[4]) >= 3 and (largest[r[0]] == r[2] or areas[(r[0], r[2])] >= MIN_ISLAND_KM2[r[1]])]
    frame = {}
    for code, zone, pi, ri, xy in kept:
        minx = min(x for x, _ in xy)
        maxy = max(y for _, y in xy)
        fx, fy = frame.get(zone, (minx, maxy))
        frame[zone] = (min(fx, minx), max(fy, maxy))
    # Output.
    print("# Départements of France, compact geometry for src/publish/map (see SOURCE.md).")
    print("# Source: IGN ADMIN EXPRESS COG 2018 via github.com/gregoiredavid/france-geojson,")
    print("# Licence Ouverte / Open Licence (Etalab). Generated by scripts/carte_departements.py.")
    print(f"# Units: {QUANTUM:g} m; x east, y south, from the zone's north-west corner.")
    print("# 'D code zone' starts a département; 'P' an outer ring, 'H' a hole of the last P;")
    print("# a ring is its first point then the deltas to each next point (x,y pairs).")
    current = None
    for code, zone, pi, ri, xy in kept:
        if code != current:
            print(f"D {code} {zone}")
            current = code
        fx, fy = frame[zone]
        q = [(round((x - fx) / QUANTUM), round((fy - y) / QUANTUM)) for x, y in xy]
        dedup = [p for i, p in enumerate(q) if i == 0 or p != q[i - 1]]
        if len(dedup) > 1 and dedup[-1] == dedup[0]:
            dedup.pop()
        if len(dedup) < 3:
            continue
        parts = [f"{dedup[0][0]},{dedup[0][1]}"]
        for (x1, y1), (x2, y2) in zip(dedup, dedup[1:]):
            parts.append(f"{x2 - x1},{y2 - y1}")
        print(("P " if ri == 0 else "H ") + " ".join(parts))


if __name__ == "__main__":
    main()
