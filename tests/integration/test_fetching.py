"""What fetching may reach, and for how long, against real servers on loopback (issue 10, findings 2 and 3).

Loopback stands for every address inside a newsroom: with no networks allowed, a site on 127.0.0.1 must be
unreachable by any spelling, directly or by a redirect. The "outside" site lives on 127.0.0.2 (loopback
too, on Linux) and is the only network allowed where a test needs a reachable site.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator

import pytest

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_PASSWORD, set_up_demo
from kiemchung.ingest.http import Fetcher, FetchError, FetchPolicy
from kiemchung.services.collect import Collector
from kiemchung.settings import Settings
from tests.servers import Route, Site, rss, serve_site

OUTSIDE = "127.0.0.2"
_FETCHERS: list[Fetcher] = []


def _fetcher(**policy: object) -> Fetcher:
    options: dict[str, object] = {"timeout_s": 2.0, "retries": 0, "host_interval_s": 0.0, "obey_robots": False}
    fetcher = Fetcher(FetchPolicy(**{**options, **policy}))  # type: ignore[arg-type]
    _FETCHERS.append(fetcher)
    return fetcher


@pytest.fixture(autouse=True)
def _close_fetchers() -> Iterator[None]:
    yield
    while _FETCHERS:
        _FETCHERS.pop().close()


@pytest.fixture(scope="module")
def _inside_server() -> Iterator[Site]:
    with serve_site() as site:
        yield site


@pytest.fixture(scope="module")
def _outside_server() -> Iterator[Site]:
    with serve_site(host=OUTSIDE) as site:
        yield site


def _fresh(site: Site) -> Site:
    site.routes.clear()
    site.requests.clear()
    return site


@pytest.fixture
def inside(_inside_server: Site) -> Site:
    """A server inside: its /secret must never be read."""
    _fresh(_inside_server).routes["/secret"] = Route(b"internal admin page")
    return _inside_server


@pytest.fixture
def outside(_outside_server: Site) -> Site:
    return _fresh(_outside_server)


def _port(site: Site) -> int:
    assert site.server is not None
    return int(site.server.server_address[1])


REFUSED = "refused: "
SPELLINGS = {
    "127.0.0.1": REFUSED,
    "localhost": REFUSED,
    "LocalHost": REFUSED,
    "2130706433": REFUSED,  # 127.0.0.1 as one decimal number
    "0x7f000001": REFUSED,  # … as one hexadecimal number
    "127.1": REFUSED,  # … with the zeros left out
    "0x7f.1": REFUSED,
    "0177.0.0.1": "not a valid URL",  # octal: httpx refuses to read it
    "0.0.0.0": REFUSED,  # unspecified: Linux connects it to this machine
    "[::1]": REFUSED,
    "[::]": REFUSED,
    "[::ffff:127.0.0.1]": REFUSED,  # IPv4-mapped IPv6
    "[::ffff:7f00:1]": REFUSED,
    "user:secret@127.0.0.1": "credentials",
    "user@localhost": "credentials",
}


@pytest.mark.parametrize(("host", "reason"), SPELLINGS.items(), ids=list(SPELLINGS))
def test_every_spelling_of_an_inside_address_is_refused(inside: Site, host: str, reason: str) -> None:
    with pytest.raises(FetchError, match=reason):
        _fetcher().get(f"http://{host}:{_port(inside)}/secret")
    assert inside.requests == []


REDIRECTS = {host: reason for host, reason in SPELLINGS.items() if host != "0177.0.0.1"}  # httpx refuses that one


@pytest.mark.parametrize(("host", "reason"), REDIRECTS.items(), ids=list(REDIRECTS))
def test_a_redirect_to_an_inside_address_is_refused(inside: Site, outside: Site, host: str, reason: str) -> None:
    outside.routes["/go"] = Route(b"", status=302, headers={"Location": f"http://{host}:{_port(inside)}/secret"})
    with pytest.raises(FetchError, match=reason):
        _fetcher(allow_networks=(f"{OUTSIDE}/32",)).get(outside.url("/go"))
    assert inside.requests == [] and len(outside.hits("/go")) == 1


def test_redirects_within_the_allowed_network_are_followed_and_credentials_on_a_hop_refused(outside: Site) -> None:
    outside.routes["/moved"] = Route(b"", status=301, headers={"Location": "/here"})
    outside.routes["/here"] = Route(b"public page")
    with_credentials = f"http://editor:pw@{OUTSIDE}:{_port(outside)}/here"
    outside.routes["/sneaky"] = Route(b"", status=302, headers={"Location": with_credentials})
    fetcher = _fetcher(allow_networks=(f"{OUTSIDE}/32",))
    assert fetcher.get(outside.url("/moved")).content == b"public page"
    with pytest.raises(FetchError, match="credentials"):
        fetcher.get(outside.url("/sneaky"))
    assert len(outside.hits("/here")) == 1


def test_the_answer_never_says_whether_an_inside_port_is_open(inside: Site) -> None:
    fetcher = _fetcher()
    with pytest.raises(FetchError) as open_port:
        fetcher.get(f"http://127.0.0.1:{_port(inside)}/secret")
    with pytest.raises(FetchError) as closed_port:
        fetcher.get("http://127.0.0.1:9/secret")
    assert str(open_port.value) == str(closed_port.value) == f"{REFUSED}127.0.0.1 is not a public address " \
        "(KIEMCHUNG_FETCH_ALLOW_NETWORKS permits intranet ones)"  # fmt: skip
    assert inside.requests == []


def test_a_name_is_connected_by_its_checked_address_with_its_own_host_header(inside: Site) -> None:
    """The transport connects to the address it checked (no second DNS answer); Host stays the name's."""
    from kiemchung.ingest.addresses import AddressPolicy, parse_networks
    from kiemchung.ingest.transport import GuardedTransport

    policy = AddressPolicy(parse_networks("127.0.0.0/8"))
    resolver = lambda host, port, timeout: [ipaddress.ip_address("127.0.0.1")]  # noqa: E731
    fetcher = Fetcher(FetchPolicy(obey_robots=False), transport=GuardedTransport(policy, resolver))
    _FETCHERS.append(fetcher)
    assert fetcher.get(f"http://tin-tuc.example:{_port(inside)}/secret").content == b"internal admin page"
    assert inside.requests[-1].headers["Host"] == f"tin-tuc.example:{_port(inside)}"
    refusing = Fetcher(FetchPolicy(obey_robots=False), transport=GuardedTransport(AddressPolicy(), resolver))
    _FETCHERS.append(refusing)
    with pytest.raises(FetchError, match="refused: tin-tuc.example is not a public address"):
        refusing.get(f"http://tin-tuc.example:{_port(inside)}/secret")
    assert len(inside.requests) == 1


def test_a_long_run_over_many_hosts_keeps_a_bounded_memory_of_them(inside: Site) -> None:
    """Per-host pauses and robots.txt rules are forgotten once a host needs no pause: 40 hosts, at most 8 kept."""
    from kiemchung.ingest.addresses import AddressPolicy, parse_networks
    from kiemchung.ingest.transport import GuardedTransport

    inside.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private\n", headers={"Content-Type": "text/plain"})
    resolver = lambda host, port, timeout: [ipaddress.ip_address("127.0.0.1")]  # noqa: E731
    transport = GuardedTransport(AddressPolicy(parse_networks("127.0.0.0/8")), resolver)
    fetcher = Fetcher(FetchPolicy(host_interval_s=0.0, max_tracked_hosts=8), transport=transport)
    _FETCHERS.append(fetcher)
    for number in range(40):
        assert fetcher.get(f"http://tin-{number}.example:{_port(inside)}/secret").status == 200
        with pytest.raises(FetchError, match="robots.txt"):  # the rules still apply to every host
            fetcher.get(f"http://tin-{number}.example:{_port(inside)}/private")
    assert max(len(fetcher._host_locks), len(fetcher._last_request), len(fetcher._robots)) <= 8
    assert len(inside.requests) == 80  # robots.txt once per host and /secret; /private never asked for


def test_the_allow_list_setting_reaches_the_fetcher(settings: Settings) -> None:
    from kiemchung.services.collect import fetch_policy

    policy = fetch_policy(settings.with_overrides(fetch_allow_networks=" 10.0.0.0/8, 192.168.4.7 "))
    assert policy.allow_networks == ("10.0.0.0/8", "192.168.4.7")
    assert fetch_policy(settings.with_overrides(fetch_allow_networks="")).allow_networks == ()


# -- one deadline per fetch ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [
        Route(b"x" * 40, drip_s=0.5),  # the status line and headers drip: never a whole read timeout apart
        Route(b"x" * 40, drip_s=0.5, drip_body_only=True),
    ],
    ids=["dripping-headers", "dripping-body"],
)
def test_a_dripping_server_is_cut_at_the_deadline(outside: Site, route: Route) -> None:
    outside.routes["/drip"] = route
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out after 2 s"):
        _fetcher(allow_networks=(f"{OUTSIDE}/32",), retries=2, backoff_s=0.0).get(outside.url("/drip"))
    assert time.monotonic() - started < 3.0
    assert len(outside.hits("/drip")) == 1  # running out of time is not retried


def test_the_deadline_covers_every_redirect_hop(outside: Site) -> None:
    for hop in range(3):
        outside.routes[f"/hop-{hop}"] = Route(b"", status=302, headers={"Location": f"/hop-{hop + 1}"}, delay_s=0.8)
    outside.routes["/hop-3"] = Route(b"arrived")
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        _fetcher(allow_networks=(f"{OUTSIDE}/32",)).get(outside.url("/hop-0"))
    assert time.monotonic() - started < 2.6
    assert outside.hits("/hop-3") == []


# -- every way a fetch starts: evidence URLs, subscriptions, links inside a feed --------------------------


@pytest.fixture
def guarded(settings: Settings, database_url: str) -> Iterator[AppContext]:
    """The application with only the outside site allowed (the usual test settings allow all loopback)."""
    context = AppContext(settings.with_overrides(database_url=database_url, fetch_allow_networks=f"{OUTSIDE}/32"))
    context.database.migrate()
    yield context
    context.close()


def test_evidence_subscriptions_and_feed_links_cannot_reach_inside(
    guarded: AppContext, inside: Site, outside: Site
) -> None:
    set_up_demo(guarded)
    factchecker = guarded.accounts.sign_in("factchecker@demo.kiemchung", DEMO_PASSWORD).actor
    admin = guarded.accounts.sign_in("admin@demo.kiemchung", DEMO_PASSWORD).actor

    case = guarded.cases.open_case(factchecker, "Thuế thu nhập cá nhân sẽ tăng lên 40% từ năm sau")
    guarded.evidence_archiver.close()  # no background worker: the snapshot is taken here, and says why not
    case = guarded.cases.add_url(factchecker, case.id, f"http://2130706433:{_port(inside)}/secret")
    problem = guarded.evidence_archiver.archive(case.evidence[0].id)
    assert problem is not None and problem.startswith(REFUSED)

    subscription = guarded.subscriptions.add(admin, "bên trong", inside.url("/secret"))
    assert guarded.subscriptions.refresh(subscription) == 0
    assert (guarded.subscriptions.get(subscription.id).last_error or "").startswith(REFUSED)

    teaser = {"title": "Tin ngắn", "link": inside.url("/secret"), "description": "Tóm tắt."}
    outside.routes["/rss"] = Route(rss([teaser]), headers={"Content-Type": "application/rss+xml"})
    source = guarded.sources.add("feed", "ngoai", outside.url("/rss"))
    report = guarded.collector.collect(source)
    assert report.error is None and report.new == 1  # the teaser is kept, its inside page is not read
    assert any(REFUSED in note for note in report.notes)
    assert inside.requests == []


def test_a_collector_with_no_allowed_network_refuses_an_inside_source(guarded: AppContext, inside: Site) -> None:
    source = guarded.sources.add("page", "noi-bo", f"http://localhost:{_port(inside)}/secret")
    collector = Collector(guarded.database, guarded.source_store, guarded.inbox, guarded.fetcher)
    report = collector.collect(source)
    assert (report.error or "").startswith(REFUSED)
    assert (guarded.source_store.get(source.id).last_error or "").startswith(REFUSED)
    assert inside.requests == []
