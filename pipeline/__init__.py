"""landuse-conflicts: land-use conflict detection for Västra Götaland (län 14).

Pure library code. Every geometry is in SWEREF 99 TM (EPSG:3006) unless a name says otherwise.
"""

TARGET_CRS = "EPSG:3006"
