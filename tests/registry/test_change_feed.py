"""The change feed, as Atom (read by feedparser, as feed readers do) and as JSON: newest first, paged by
RFC 5005 links that reach every event exactly once, and the same pages in both."""

import feedparser
import pytest

from registry import transparency
from registry.models import ArtefactName, LogEntry

ATOM = "/api/v1/changes.atom"
FEED = "/api/v1/changes/"


@pytest.fixture
def events(db):
    """23 status events in the log (and the PDFs' entries between them, which are not events of the feed)."""
    items = []
    for number in range(1, 24):
        epd = {"registration_number": f"EPD-STEEL-2026-{number:06d}", "version": 1}
        items.append({**epd, "artefact": ArtefactName.PDF, "sha256": "a" * 64, "event": "published"})
        items.append({**epd, "artefact": ArtefactName.JSON, "sha256": "b" * 64, "event": "published" if number % 3 else "suspended"})
    transparency.append_many(items)
    return list(LogEntry.objects.filter(artefact=ArtefactName.JSON).order_by("-index").values_list("index", flat=True))


def parse(response):
    assert response.status_code == 200, response.content
    parsed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def links(parsed) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in parsed.feed.links}


def log_index(entry) -> int:
    return int(entry.id.rsplit("end=", 1)[1])


def test_atom_feed_has_what_rfc_4287_asks_of_a_feed(client, events, settings):
    parsed = parse(client.get(ATOM))
    assert parsed.version == "atom10"
    assert parsed.feed.author_detail.name == settings.PROGRAMME_OPERATOR["name"]
    assert parsed.feed.id == f"{settings.SITE_URL}{ATOM}"
    assert parsed.feed.updated_parsed is not None
    assert links(parsed)["self"] == f"{settings.SITE_URL}{ATOM}"
    assert all(entry.id and entry.updated_parsed and entry.title and entry.link for entry in parsed.entries)


def test_following_next_links_sees_every_event_once_newest_first(client, events, settings):
    seen, pages = [], 0
    url = f"{ATOM}?page_size=5"
    while url:
        parsed = parse(client.get(url.removeprefix(settings.SITE_URL)))
        pages += 1
        seen += [log_index(entry) for entry in parsed.entries]
        page_links = links(parsed)
        assert page_links["first"] == f"{settings.SITE_URL}{ATOM}?page_size=5"
        assert ("previous" in page_links) == (pages > 1)
        # Every page of the feed is one feed: the same id whichever page.
        assert parsed.feed.id == f"{settings.SITE_URL}{ATOM}"
        url = page_links.get("next")
    assert seen == events
    assert pages == 5


def test_following_previous_links_walks_back_to_the_first_page(client, events, settings):
    url, last = f"{ATOM}?page_size=5", None
    while url:
        last, url = url, links(parse(client.get(url.removeprefix(settings.SITE_URL)))).get("next")
    pages = []
    while last:
        parsed = parse(client.get(last.removeprefix(settings.SITE_URL)))
        pages.append([log_index(entry) for entry in parsed.entries])
        last = links(parsed).get("previous")
    assert [index for page in reversed(pages) for index in page] == events
    assert [len(page) for page in pages] == [3, 5, 5, 5, 5]


def test_json_feed_has_the_same_pages_as_the_atom_feed(client, events, settings):
    atom_url, json_url = f"{ATOM}?page_size=7", f"{FEED}?page_size=7"
    while atom_url:
        parsed = parse(client.get(atom_url.removeprefix(settings.SITE_URL)))
        response = client.get(json_url.removeprefix(settings.SITE_URL))
        body = response.json()
        assert [item["log_index"] for item in body["results"]] == [log_index(entry) for entry in parsed.entries]
        atom_links, json_links = links(parsed), {rel: body[rel] for rel in ("next", "previous") if body[rel]}
        assert {rel: url.replace(ATOM, FEED) for rel, url in atom_links.items() if rel in ("next", "previous")} == json_links
        # The Link header says the same (RFC 8288), for clients that page by headers.
        for rel, url in json_links.items():
            assert f'<{url}>; rel="{rel}"' in response["Link"]
        atom_url, json_url = atom_links.get("next"), body["next"]
    assert json_url is None


def test_polling_with_after_gets_only_what_is_new(client, events):
    newest_seen = events[5]
    body = client.get(FEED, {"after": newest_seen, "page_size": 3}).json()
    found = [item["log_index"] for item in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        found += [item["log_index"] for item in body["results"]]
    assert found == events[:5]


def test_suspensions_are_in_the_feed_as_such(client, events):
    kinds = [item["event"] for item in client.get(FEED, {"page_size": 3}).json()["results"]]
    assert kinds == ["published", "published", "suspended"]  # EPD 23, 22, 21: every third one suspended


@pytest.mark.parametrize(
    ("params", "field"),
    [({"before": "x"}, "before"), ({"page_size": "0"}, "page_size"), ({"page_size": "101"}, "page_size"), ({"after": "-1"}, "after")],
)
def test_wrong_paging_parameters_are_400_naming_them(client, events, params, field):
    for path in (FEED, ATOM):
        response = client.get(path, params)
        assert response.status_code == 400
        assert [finding["field"] for finding in response.json()["error"]["findings"]] == [field]


def test_an_empty_log_is_a_valid_empty_feed(client, db):
    parsed = parse(client.get(ATOM))
    assert parsed.entries == [] and "next" not in links(parsed)
    assert client.get(FEED).json() == {"next": None, "previous": None, "results": []}
