"""Hand-kept facts about Västra Götaland that steer where synthetic features go.

Coordinates are approximate WGS 84 longitude/latitude (EPSG:4326) of the real places; the
generator reprojects them to EPSG:3006. Nothing here is copied from a dataset: it is general
geographic knowledge, good enough to put towns in the right kommun and farmland on the plains.
"""

from __future__ import annotations

#: Centralort of each kommun in län 14 (and Kungsbacka): code -> (name, lon, lat, weight).
#: ``weight`` is a rough size class steering how many development areas surround the town.
TOWNS: dict[str, tuple[str, float, float, float]] = {
    "1384": ("Kungsbacka", 12.08, 57.49, 3),
    "1401": ("Mölnlycke", 12.12, 57.66, 2),
    "1402": ("Partille", 12.11, 57.74, 2),
    "1407": ("Öckerö", 11.65, 57.71, 1),
    "1415": ("Stenungsund", 11.82, 58.07, 2),
    "1419": ("Skärhamn", 11.55, 57.99, 1),
    "1421": ("Henån", 11.68, 58.24, 1),
    "1427": ("Kungshamn", 11.26, 58.36, 1),
    "1430": ("Munkedal", 11.68, 58.47, 1),
    "1435": ("Tanumshede", 11.33, 58.72, 1),
    "1438": ("Ed", 11.93, 58.91, 1),
    "1439": ("Färgelanda", 12.00, 58.57, 1),
    "1440": ("Nödinge", 12.06, 57.89, 2),
    "1441": ("Lerum", 12.27, 57.77, 2),
    "1442": ("Vårgårda", 12.81, 58.03, 1),
    "1443": ("Bollebygd", 12.57, 57.67, 1),
    "1444": ("Grästorp", 12.68, 58.33, 1),
    "1445": ("Nossebro", 12.72, 58.19, 1),
    "1446": ("Karlsborg", 14.51, 58.54, 1),
    "1447": ("Hova", 14.21, 58.86, 1),
    "1452": ("Tranemo", 13.35, 57.48, 1),
    "1460": ("Bengtsfors", 12.22, 59.03, 1),
    "1461": ("Mellerud", 12.46, 58.70, 1),
    "1462": ("Lilla Edet", 12.13, 58.13, 1),
    "1463": ("Kinna", 12.69, 57.51, 2),
    "1465": ("Svenljunga", 13.11, 57.50, 1),
    "1466": ("Herrljunga", 13.02, 58.08, 1),
    "1470": ("Vara", 12.95, 58.26, 1),
    "1471": ("Götene", 13.49, 58.53, 1),
    "1472": ("Tibro", 14.16, 58.42, 1),
    "1473": ("Töreboda", 14.13, 58.71, 1),
    "1480": ("Göteborg", 11.97, 57.71, 10),
    "1481": ("Mölndal", 12.02, 57.66, 3),
    "1482": ("Kungälv", 11.98, 57.87, 2),
    "1484": ("Lysekil", 11.44, 58.27, 1),
    "1485": ("Uddevalla", 11.94, 58.35, 3),
    "1486": ("Strömstad", 11.17, 58.94, 1),
    "1487": ("Vänersborg", 12.32, 58.38, 2),
    "1488": ("Trollhättan", 12.29, 58.28, 3),
    "1489": ("Alingsås", 12.53, 57.93, 2),
    "1490": ("Borås", 12.94, 57.72, 5),
    "1491": ("Ulricehamn", 13.41, 57.79, 2),
    "1492": ("Åmål", 12.70, 59.05, 1),
    "1493": ("Mariestad", 13.82, 58.71, 2),
    "1494": ("Lidköping", 13.16, 58.50, 2),
    "1495": ("Skara", 13.44, 58.39, 1),
    "1496": ("Skövde", 13.85, 58.39, 3),
    "1497": ("Hjo", 14.28, 58.30, 1),
    "1498": ("Tidaholm", 13.96, 58.18, 1),
    "1499": ("Falköping", 13.55, 58.17, 2),
}

#: Share of open farmland (0-1) per kommun; Skaraborg plains high, Dalsland forests low.
#: Kommuner not listed (the neighbouring län) get :data:`DEFAULT_FARMLAND`.
FARMLAND: dict[str, float] = {
    **dict.fromkeys(["1470", "1494", "1495", "1499", "1444", "1445"], 1.0),
    **dict.fromkeys(["1471", "1493", "1496", "1498", "1466", "1442", "1473"], 0.7),
    **dict.fromkeys(["1487", "1461", "1488", "1384"], 0.6),
    **dict.fromkeys(["1489", "1462", "1440", "1482", "1485", "1491", "1497"], 0.45),
    **dict.fromkeys(["1447", "1472", "1421", "1419", "1435", "1430", "1415"], 0.4),
    **dict.fromkeys(["1463", "1490", "1465", "1452", "1443", "1441", "1401"], 0.25),
    **dict.fromkeys(["1439", "1427", "1484", "1486", "1446"], 0.25),
    **dict.fromkeys(["1460", "1438", "1492", "1480", "1481", "1402", "1407"], 0.1),
}
DEFAULT_FARMLAND = 0.3

#: River valleys with farmland along them: name -> polyline of (lon, lat).
VALLEYS: dict[str, list[tuple[float, float]]] = {
    "Göta älv": [(12.32, 58.38), (12.29, 58.28), (12.12, 58.13), (12.06, 57.89), (11.97, 57.72)],
    "Viskan": [(12.94, 57.72), (12.80, 57.58), (12.69, 57.51), (12.60, 57.40)],
    "Nossan": [(13.02, 58.08), (12.78, 58.18), (12.68, 58.33), (12.60, 58.42)],
    "Lidan": [(13.35, 57.95), (13.10, 58.15), (12.95, 58.30), (13.16, 58.50)],
    "Tidan": [(13.96, 58.18), (13.95, 58.40), (13.90, 58.60), (13.82, 58.71)],
    "Säveån": [(12.53, 57.93), (12.40, 57.83), (12.27, 57.77), (12.11, 57.74)],
    "Ätran": [(13.35, 57.48), (13.20, 57.35), (13.00, 57.20)],
}

#: Places of the real national parks in the län: name -> (lon, lat, area_km2, kommun code).
NATIONAL_PARKS: dict[str, tuple[float, float, float, str]] = {
    "Tresticklan": (11.74, 59.03, 29.0, "1438"),
    "Kosterhavet": (11.03, 58.88, 390.0, "1486"),
    "Djurö": (13.45, 58.86, 24.0, "1493"),
}

#: Upland names used for municipal wind-plan areas ("Kroppefjäll V2").
WIND_PLACES: list[str] = [
    "Kroppefjäll",
    "Hunneberg",
    "Tiveden",
    "Hökensås",
    "Ornunga",
    "Töftedalsfjället",
    "Stengårdshult",
    "Tolvmanstegen",
    "Kollungeröd",
    "Sörbyn",
    "Brattön",
    "Forsbacka",
    "Björkeråsen",
    "Mårdaklev",
    "Skogaby",
    "Hästeskedet",
    "Ödegärdet",
    "Lundsbrunn",
    "Gäsene",
    "Bräckedalen",
]

#: Parts of Swedish place names; combined they give names with å, ä, ö and é.
NAME_HEADS: list[str] = [
    "Stor",
    "Lill",
    "Norr",
    "Sör",
    "Väster",
    "Öster",
    "Björn",
    "Ek",
    "Gran",
    "Tall",
    "Hög",
    "Mål",
    "Säl",
    "Älg",
    "Ör",
    "Ång",
    "Kvarn",
    "Ras",
    "Hjort",
    "Tjäder",
    "Ugg",
    "Lind",
    "Bok",
    "Al",
    "Hassel",
    "Kärr",
    "Mos",
    "Sjö",
    "Fjäll",
    "Hallé",
    "Rå",
    "Bäver",
    "Ådal",
]
NAME_TAILS: list[str] = [
    "ön",
    "åsen",
    "mossen",
    "sjön",
    "berget",
    "dalen",
    "skogen",
    "kärret",
    "fjället",
    "hult",
    "näset",
    "ängen",
    "udden",
    "bäcken",
    "lid",
    "ravinen",
    "holmen",
    "kullen",
    "ängarna",
    "myren",
    "klippan",
    "ören",
]
