"""Production: PostgreSQL and Redis required, secure cookies, HTTPS."""

import os

os.environ.setdefault("DEBUG", "false")

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from .base import *  # noqa: E402,F403
from .base import (  # noqa: E402
    DEV_COURIER_WEBHOOK_SECRET,
    DEV_PAYMENT_SANDBOX_SECRET,
    env,
    env_bool,
    env_secrets,
    logging_config,
)

MIN_SECRET_LENGTH = 32


def require_secret(name: str, value: str, *, defaults: tuple[str, ...]) -> str:
    """Refuse to start with a missing, short or repository-default callback secret."""
    if not value or value in defaults or len(value) < MIN_SECRET_LENGTH:
        raise ImproperlyConfigured(
            f"{name} must be set to a real secret of at least {MIN_SECRET_LENGTH} characters "
            "(docs/operations.md, Secrets); the repository's development default is not accepted."
        )
    return value


SECRET_KEY = env("SECRET_KEY")  # must be set; Django refuses to start with an empty key
# Courier account secrets are encrypted with these; never derived from SECRET_KEY in production.
FIELD_ENCRYPTION_KEYS = [k for k in env("FIELD_ENCRYPTION_KEYS", "").split(",") if k]
# Callback secrets (docs/operations.md lists every secret): no repository default is accepted.
_DEFAULTS = (DEV_PAYMENT_SANDBOX_SECRET, DEV_COURIER_WEBHOOK_SECRET)
PAYMENT_SANDBOX_SECRET = require_secret("PAYMENT_SANDBOX_SECRET", env("PAYMENT_SANDBOX_SECRET"), defaults=_DEFAULTS)
COURIER_WEBHOOK_SECRETS = env_secrets("COURIER_WEBHOOK_SECRETS")
if not COURIER_WEBHOOK_SECRETS:
    raise ImproperlyConfigured("COURIER_WEBHOOK_SECRETS must list each courier's webhook secret (CODE=secret,...).")
for _code, _secret in COURIER_WEBHOOK_SECRETS.items():
    require_secret(f"COURIER_WEBHOOK_SECRETS[{_code}]", _secret, defaults=_DEFAULTS)
if len(set(COURIER_WEBHOOK_SECRETS.values())) != len(COURIER_WEBHOOK_SECRETS):
    raise ImproperlyConfigured("COURIER_WEBHOOK_SECRETS: each courier needs its own secret.")
COURIER_WEBHOOK_DEV_SECRET = ""  # no derived secrets: a courier without its own secret is refused
# The sandboxes are development tools: off unless explicitly enabled (the CI production stage enables them).
PAYMENT_SANDBOX_ENABLED = env_bool("PAYMENT_SANDBOX_ENABLED", False)
COURIER_SANDBOX_ENABLED = env_bool("COURIER_SANDBOX_ENABLED", False)
# Outbound webhooks: https only; private networks refused unless explicitly allowed (the CI stage's loopback).
WEBHOOK_REQUIRE_HTTPS = env_bool("WEBHOOK_REQUIRE_HTTPS", True)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Operations (docs/operations.md): JSON log lines with request ids; Celery logs through the same handlers.
LOG_JSON = env_bool("LOG_JSON", True)
LOGGING = logging_config(json_lines=LOG_JSON, level=env("LOG_LEVEL", "INFO"))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A task a worker dies in is redelivered (acks late): handlers are idempotent (webhook receipts, claims).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
