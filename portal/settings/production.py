"""Production: PostgreSQL and Redis required, secure cookies, HTTPS."""

import os

os.environ.setdefault("DEBUG", "false")

from .base import *  # noqa: E402,F403
from .base import env, env_bool, logging_config  # noqa: E402

SECRET_KEY = env("SECRET_KEY")  # must be set; Django refuses to start with an empty key
# Courier account secrets are encrypted with these; never derived from SECRET_KEY in production.
FIELD_ENCRYPTION_KEYS = [k for k in env("FIELD_ENCRYPTION_KEYS", "").split(",") if k]
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
