"""ATOM download feeds (INSPIRE style, as Länsstyrelsen, Skogsstyrelsen and RAÄ publish).

A feed's entries link to the data with ``rel="enclosure"`` (or ``rel="alternate"`` / no
``rel`` pointing at a file). A link of type ``application/atom+xml`` is a dataset feed and
is followed one level down. The chosen enclosure (usually a zip) is downloaded through the
cache and read like a local file with ``member`` / ``layer``.

Nothing is guessed: with several enclosures, the one whose URL contains ``member`` or
``layer`` is taken; if that does not single one out, the error lists them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin

from pipeline.config.models import AtomSource
from pipeline.sources.download import download_file
from pipeline.sources.fetched import FetchContext, FetchedSource
from pipeline.sources.httpcache import CachedBody, HttpFetcher, SourceError
from pipeline.sources.remote import fetched_body

ATOM = "{http://www.w3.org/2005/Atom}"
FEED_TYPES = ("application/atom+xml",)
PAGE_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Link:
    """One candidate download: absolute ``href``, declared ``type``, the entry's title."""

    href: str
    type: str
    title: str


def parse_links(xml: bytes, base: str) -> tuple[list[Link], list[Link]]:
    """Enclosure-like links and dataset-feed links of every entry of an ATOM feed.

    Per entry, ``rel="enclosure"`` links win; only an entry without any takes its
    ``alternate`` (or rel-less) links that are not HTML pages.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"feed is not well-formed XML ({exc})") from exc
    if root.tag != f"{ATOM}feed":
        raise ValueError(f"not an ATOM feed (root element {root.tag})")
    files: list[Link] = []
    feeds: list[Link] = []
    for entry in root.iter(f"{ATOM}entry"):
        title = (entry.findtext(f"{ATOM}title") or "").strip()
        links = [
            (
                el.get("rel", "alternate"),
                Link(
                    urljoin(base, el.get("href", "")),
                    el.get("type", "").split(";")[0].strip(),
                    title,
                ),
            )
            for el in entry.findall(f"{ATOM}link")
            if el.get("href")
        ]
        enclosures = [link for rel, link in links if rel == "enclosure"]
        alternates = [link for rel, link in links if rel == "alternate"]
        feeds += [link for link in alternates if link.type in FEED_TYPES]
        files += enclosures or [
            link for link in alternates if link.type not in FEED_TYPES + PAGE_TYPES
        ]
    return files, feeds


def choose_link(links: list[Link], spec: AtomSource, feed_url: str) -> Link:
    """The one enclosure to download; ambiguity is an error listing the candidates."""
    unique = list(dict.fromkeys(links))
    if not unique:
        raise SourceError(feed_url, "the feed has no entry with an enclosure link")
    if len(unique) == 1:
        return unique[0]
    hints = [h.lower() for h in (spec.member, spec.layer) if h]
    for hint in hints:
        stem = PurePosixPath(hint).stem.lower()
        matching = [link for link in unique if stem and stem in unquote(link.href).lower()]
        if len(matching) == 1:
            return matching[0]
    listed = ", ".join(link.href for link in unique[:10])
    raise SourceError(
        feed_url,
        f"the feed has {len(unique)} enclosures and neither 'member' nor 'layer' picks one "
        f"out: {listed}",
    )


def fetch_enclosure(fetcher: HttpFetcher, spec: AtomSource) -> tuple[CachedBody, Link]:
    """Download the feed's enclosure; returns it and its link."""
    feed = fetcher.get(spec.url, spec.params, expect="xml")
    try:
        files, feeds = parse_links(feed.path.read_bytes(), feed.url)
        if not files:
            for sub in feeds[:50]:
                sub_body = fetcher.get(sub.href, expect="xml")
                files += parse_links(sub_body.path.read_bytes(), sub_body.url)[0]
    except ValueError as exc:
        raise SourceError(feed.shown, str(exc)) from exc
    link = choose_link(files, spec, feed.shown)
    body = download_file(fetcher, link.href, {}, mime=link.type)
    return body, link


def fetch_atom(spec: AtomSource, fetcher: HttpFetcher, ctx: FetchContext) -> FetchedSource:
    """The enclosure's bytes; ``location`` is the enclosure's URL, not the feed's.

    A feed whose ``updated`` stamp changes therefore does not make the data look changed.
    """
    body, link = fetch_enclosure(fetcher, spec)
    return fetched_body(ctx, body, fetcher.secrets.scrub(link.href))
