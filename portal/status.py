"""How a status looks on a badge ("ok", "warn", "bad", "muted"), declared per model by its app, so
templates ask `{{ obj|tone }}` and never compare status strings."""

from __future__ import annotations

from typing import Any

TONES: dict[str, dict[str, str]] = {}


def tones(model_label: str, mapping: dict[str, str], *, field: str = "status") -> None:
    """Declare the badge tone of each status of a model ("shop.Order", {"completed": "ok", ...})."""
    TONES[f"{model_label}.{field}"] = {str(k): v for k, v in mapping.items()}


def tone_of(obj: Any, field: str = "status") -> str:
    if obj is None:
        return ""
    return TONES.get(f"{obj._meta.label}.{field}", {}).get(str(getattr(obj, field, "")), "")


tones("portal.WebhookDelivery", {"succeeded": "ok", "failed": "bad", "pending": "warn"})
tones("portal.Payment", {"succeeded": "ok", "failed": "bad", "closed": "muted", "pending": "warn"})
