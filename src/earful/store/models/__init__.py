"""Every table, importable from one place (Alembic reads `Base.metadata` from here)."""

from earful.store.models.base import Base
from earful.store.models.capture import (
    Enrichment,
    Post,
    PostBand,
    Quarantined,
    RawItem,
    Source,
    WebhookDelivery,
)
from earful.store.models.insights import (
    Alert,
    AlertRule,
    Report,
    RollupCategory,
    RollupChange,
    RollupDay,
    RollupVolume,
    RollupVolumeDay,
    Spike,
    Topic,
)
from earful.store.models.learning import ModelVersion, SentimentLabel
from earful.store.models.taxonomy import Category, Label, TaxonomyVersion
from earful.store.models.work import (
    ApiToken,
    AuditEntry,
    Job,
    LoginSession,
    Team,
    TriageEvent,
    TriageItem,
    User,
)

__all__ = [
    "Alert",
    "AlertRule",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Category",
    "Enrichment",
    "Job",
    "Label",
    "LoginSession",
    "ModelVersion",
    "Post",
    "PostBand",
    "Quarantined",
    "RawItem",
    "Report",
    "RollupCategory",
    "RollupChange",
    "RollupDay",
    "RollupVolume",
    "RollupVolumeDay",
    "SentimentLabel",
    "Source",
    "Spike",
    "TaxonomyVersion",
    "Team",
    "Topic",
    "TriageEvent",
    "TriageItem",
    "User",
    "WebhookDelivery",
]
