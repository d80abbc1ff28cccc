"""The replay server, loaded with the recorded payloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from earful.settings import Settings
from tests.connectors.live.replay import (
    Replay,
    facebook_posts,
    mastodon_statuses,
    reddit_children,
    serve,
    x_posts,
)


@pytest.fixture
def replay(api_samples: Path) -> Iterator[Replay]:
    """Return a running replay server with every platform's recorded items."""
    state = Replay(
        api_samples,
        statuses=mastodon_statuses(api_samples),
        children=reddit_children(api_samples),
        posts=x_posts(api_samples),
        page_posts=facebook_posts(api_samples),
        feed=(api_samples / "rss" / "guardian.rss.xml").read_bytes(),
    )
    for served in serve(state):
        # The recorded feed links to the publisher; point its links at the local server instead.
        served.feed = served.feed.replace(
            b"https://www.theguardian.com/", f"{served.base}/articles/".encode()
        )
        yield served


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings, letting sources reach the local replay server with their credentials."""
    return settings.model_copy(update={"allow_private_addresses": True, "credential_hosts": ["127.0.0.1"]})
