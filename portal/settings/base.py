"""Settings for every environment, driven by environment variables.

No variable set means the zero-setup laptop run: SQLite, tasks in-process,
mail and SMS on the console, media on local disk.
"""

import base64
import hashlib
import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from portal.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_hours(name: str, default: float) -> timedelta:
    return timedelta(hours=float(env(name, str(default))))


SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "portal.admin_site.PortalAdminConfig",  # django.contrib.admin with the platform's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_fsm",
    "django_prometheus",
    "portal",
    "shop",
    "shipping",
    "aftersales",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "portal.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.i18n.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.page_middleware.PageMessageMiddleware",  # messages and htmx: pages only, not /api/
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.page_middleware.PageHtmxMiddleware",
    "portal.tenancy.CurrentStoreMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    server = [options.get("options", "")]
    if not env_bool("DB_JIT"):
        # The portal's queries are short OLTP reads; PostgreSQL's JIT compiles them for 100-500 ms each.
        server.append("-c jit=off")
    # On SSD or from memory a random page read costs about what a sequential one does. The default (4) is for disks
    # that seek; with it the planner read the order list's 已完成 tab through the plain created_at index, whose heap
    # order is sequential, and filtered out 311,000 newer orders of other stores, instead of using the list's own
    # index (docs/performance.md).
    server.append(f"-c random_page_cost={float(env('DB_RANDOM_PAGE_COST', '1.1'))}")
    options["options"] = " ".join(server).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Simplified Chinese by default, English on request.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if env("MEDIA_BUCKET"):  # object storage in production (S3-compatible)
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": env("MEDIA_BUCKET"), "endpoint_url": env("MEDIA_ENDPOINT_URL") or None},
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STORE_DOCUMENT_MAX_BYTES = int(env("STORE_DOCUMENT_MAX_BYTES", str(5 * 1024 * 1024)))
# A trademark still under application counts only this many months after its filing date (DOMAIN.md: Stores).
STORE_TRADEMARK_APPLYING_MIN_MONTHS = int(env("STORE_TRADEMARK_APPLYING_MIN_MONTHS", "6"))
STORE_TRADEMARK_APPLYING_MAX_MONTHS = int(env("STORE_TRADEMARK_APPLYING_MAX_MONTHS", "24"))
# Stores that count (neither draft, rejected nor closed): flagships per brand, enterprise stores per
# licence (unified social credit code) and main category.
STORE_FLAGSHIPS_PER_BRAND = int(env("STORE_FLAGSHIPS_PER_BRAND", "1"))
STORE_ENTERPRISES_PER_LICENCE_CATEGORY = int(env("STORE_ENTERPRISES_PER_LICENCE_CATEGORY", "5"))
# Repeated violations (DOMAIN.md Stores): a store failing its evaluation this many days in a row is sanctioned
# (search demotion first, then a withdrawal limit) for STORE_SANCTION_DAYS; suspension is proposed after
# `evaluation_failing_period` (PORTAL_TIME_RULES).
STORE_SANCTION_LADDER = {
    "search_demotion": int(env("STORE_SANCTION_DEMOTION_DAYS", "3")),
    "withdrawal_limit": int(env("STORE_SANCTION_WITHDRAWAL_DAYS", "5")),
}
STORE_SANCTION_DAYS = int(env("STORE_SANCTION_DAYS", "7"))
# The smallest withdrawal (fen)
WITHDRAWAL_MIN_AMOUNT = int(env("WITHDRAWAL_MIN_AMOUNT", "100"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Redis: cache and Celery broker. No REDIS_URL: local memory cache and tasks run in-process.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}}  # portal/cache.py
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# A task whose worker died unacknowledged is handed out again after this long (Redis). Keep it above the longest
# countdown a task is scheduled with; the sweeps (dispatch_pending, webhook_retry_due) are the net behind it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT_SECONDS", "3600"))}
# Broker loss: workers and beat keep retrying the connection instead of exiting (docs/operations.md, supervisor).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = float(env("CELERY_BROKER_CONNECTION_TIMEOUT", "2"))
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True  # acks late: the task is handed out again
# Publishing from a page or callback gives up quickly when the broker is away (the outbox keeps the work).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Events the broker never delivered are fanned out by the `events.outbox` sweep once this old, in batches.
OUTBOX_GRACE_SECONDS = int(env("OUTBOX_GRACE_SECONDS", "60"))
OUTBOX_BATCH = int(env("OUTBOX_BATCH", "500"))
# Periodic sweeps: Celery beat at scale, `manage.py run_scheduler` in the one-command run.
SWEEP_INTERVAL_SECONDS = int(env("SWEEP_INTERVAL_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "sweeps": {"task": "portal.tasks.run_sweeps", "schedule": SWEEP_INTERVAL_SECONDS},
}

# Mail and SMS: console unless configured.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "portal@example.com")
SMS_BACKEND = env("SMS_BACKEND", "portal.sms.ConsoleSmsBackend")


def env_secrets(name: str) -> dict[str, str]:
    """A map of secrets from one variable: a JSON object or "CODE=secret,CODE=secret" (codes upper-cased)."""
    raw = env(name).strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        pairs = json.loads(raw).items()
    else:
        pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {str(code).strip().upper(): str(secret).strip() for code, secret in pairs if str(secret).strip()}


# Payment and courier adapters (sandbox providers ship with the project). The sandboxes are development
# tools: on here, off in production settings unless PAYMENT_SANDBOX_ENABLED / COURIER_SANDBOX_ENABLED.
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", "sandbox")
PAYMENT_SANDBOX_ENABLED = env_bool("PAYMENT_SANDBOX_ENABLED", True)
COURIER_SANDBOX_ENABLED = env_bool("COURIER_SANDBOX_ENABLED", True)
# The repository's development secrets: accepted only outside production (production.py refuses them).
DEV_PAYMENT_SANDBOX_SECRET = "sandbox-payment-secret"
DEV_COURIER_WEBHOOK_SECRET = "sandbox-courier-secret"
PAYMENT_SANDBOX_SECRET = env("PAYMENT_SANDBOX_SECRET", DEV_PAYMENT_SANDBOX_SECRET)
# Each courier signs its webhooks with its own secret (COURIER_WEBHOOK_SECRETS="ZTO=…,SF=…" or JSON). Couriers
# not listed get one derived from COURIER_WEBHOOK_DEV_SECRET and their code, in development only.
COURIER_WEBHOOK_SECRETS = env_secrets("COURIER_WEBHOOK_SECRETS")
COURIER_WEBHOOK_DEV_SECRET = env("COURIER_WEBHOOK_DEV_SECRET", DEV_COURIER_WEBHOOK_SECRET)
WEBHOOK_TOLERANCE_SECONDS = int(env("WEBHOOK_TOLERANCE_SECONDS", "300"))
# Secrets kept in the database (courier accounts) are Fernet-encrypted with these keys: the first
# encrypts, all decrypt (rotate by prepending). Development derives one from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = [k for k in env("FIELD_ENCRYPTION_KEYS", "").split(",") if k] or [
    base64.urlsafe_b64encode(hashlib.sha256(f"field-encryption:{SECRET_KEY}".encode()).digest()).decode()
]
# kuaidi100 商家寄件 (shipping/carriers/kuaidi100.py): endpoints per environment, call timeout, parallel
# bOrder calls per booking, and how long a parcel may go without a callback before `detail` is read.
KUAIDI100_ENDPOINTS = {
    "production": env("KUAIDI100_PRODUCTION_URL", "https://poll.kuaidi100.com/order/borderapi.do"),
    "test": env("KUAIDI100_TEST_URL", "http://127.0.0.1:8100/api/order/borderapi.do"),
}
KUAIDI100_TIMEOUT_SECONDS = float(env("KUAIDI100_TIMEOUT_SECONDS", "10"))
KUAIDI100_BOOKING_CONCURRENCY = int(env("KUAIDI100_BOOKING_CONCURRENCY", "5"))
KUAIDI100_RECONCILE_AFTER_SECONDS = int(env("KUAIDI100_RECONCILE_AFTER_SECONDS", "1800"))
# Online shipping booking: orders per booking (the seeds' rule), and the sandbox courier's clock:
# seconds from one step to the next, multiplied by SANDBOX_COURIER_CLOCK_SCALE (0 = every tick advances).
SHIPPING_BATCH_LIMIT = int(env("SHIPPING_BATCH_LIMIT", "30"))
SANDBOX_COURIER_CLOCK_SCALE = float(env("SANDBOX_COURIER_CLOCK_SCALE", "1"))
# The sandbox courier reports over HTTP to this base URL's webhook endpoint (e.g. http://127.0.0.1:8000) when
# set, as a real courier does; unset, it hands the same signed request to the webhook code in-process.
SANDBOX_COURIER_WEBHOOK_URL = env("SANDBOX_COURIER_WEBHOOK_URL")
SANDBOX_COURIER_CLOCK = {
    "confirm": 10 * 60,
    "pickup": 60 * 60,
    "depart": 3 * 3600,
    "arrive": 12 * 3600,
    "send": 6 * 3600,
    "sign": 2 * 3600,
    "desk_reply": 2 * 60,
}
# Idempotency-Key: how long a duplicate waits for the first request before 409 idempotency_in_progress, and
# after how long an unanswered claim (its process died) is taken over.
IDEMPOTENCY_WAIT_SECONDS = float(env("IDEMPOTENCY_WAIT_SECONDS", "10"))
IDEMPOTENCY_STALE_SECONDS = float(env("IDEMPOTENCY_STALE_SECONDS", "300"))
# Outbound webhooks to merchants' integrations: attempts, backoff (base * 2^n, capped), disabling streak.
WEBHOOK_TIMEOUT_SECONDS = float(env("WEBHOOK_TIMEOUT_SECONDS", "5"))
WEBHOOK_MAX_ATTEMPTS = int(env("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_RETRY_BASE_SECONDS = int(env("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_MAX_SECONDS = int(env("WEBHOOK_RETRY_MAX_SECONDS", "21600"))
WEBHOOK_DISABLE_AFTER_FAILURES = int(env("WEBHOOK_DISABLE_AFTER_FAILURES", "20"))
# Endpoint URLs must be https (production) and must not resolve to private, loopback, link-local, CGNAT,
# multicast or metadata addresses, checked at save and again at delivery (portal/webhooks/urls.py).
WEBHOOK_REQUIRE_HTTPS = env_bool("WEBHOOK_REQUIRE_HTTPS", False)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)

# Closing a store asks finance to refund the deposit within about this many working days; weekends and
# these holidays (comma-separated YYYY-MM-DD) are not working days (also for the store review's date).
DEPOSIT_REFUND_REVIEW_WORKING_DAYS = int(env("DEPOSIT_REFUND_REVIEW_WORKING_DAYS", "3"))
PORTAL_HOLIDAYS = [d.strip() for d in env("PORTAL_HOLIDAYS", "").split(",") if d.strip()]

# Inducing reviews (cash-back cards, SMS: DOMAIN.md Reviews) is forbidden: a merchant reply with one of these
# phrases is refused, and a buyer's review or follow-up that mentions one opens an 诱导好评 complaint for support.
REVIEW_INDUCEMENT_PATTERNS = [
    r"(五星|5星|晒图|追评).{0,6}?(返现|返|送|红包|现金)",
    r"好评.{0,6}?(返现|返|送|红包|现金|补贴|奖励)",
    r"返现卡|好评卡|红包卡|返现",
    r"(删|改|撤).{0,4}差评.{0,8}?(返现|返|补偿|红包|退款|送)",
]

# A default 5/5/5 review for items left unreviewed after the review window: not a documented platform
# rule (DOMAIN.md), so off unless turned on (docs/aftersales.md).
REVIEWS_DEFAULT_POSITIVE = env_bool("REVIEWS_DEFAULT_POSITIVE", False)

# 顺丰包邮: the couriers an order promised free SF shipping may ship with (self-ship and 在线下单).
FREE_SF_COURIERS = [c.strip() for c in env("FREE_SF_COURIERS", "SF").split(",") if c.strip()]

# Every platform deadline in one place (DESIGN.md "Time rules"); all configurable.
PORTAL_TIME_RULES = {
    "unpaid_auto_cancel": timedelta(minutes=float(env("RULE_UNPAID_CANCEL_MINUTES", "30"))),
    "group_window": env_hours("RULE_GROUP_WINDOW_HOURS", 24),
    "ship_by": env_hours("RULE_SHIP_BY_HOURS", 48),
    # Cross-border direct mail (跨境直邮): an order with such goods ships within this instead of 24/48 h
    "cross_border_ship_by": env_hours("RULE_CROSS_BORDER_SHIP_BY_HOURS", 120),
    "ship_by_near": env_hours("RULE_SHIP_BY_NEAR_HOURS", 6),
    "not_shipped_complaint": env_hours("RULE_NOT_SHIPPED_COMPLAINT_HOURS", 72),
    "late_shipping_hard_limit": env_hours("RULE_LATE_SHIPPING_HARD_LIMIT_HOURS", 120),
    "cross_border_hard_limit": env_hours("RULE_CROSS_BORDER_HARD_LIMIT_HOURS", 192),
    "courier_confirm": env_hours("RULE_COURIER_CONFIRM_HOURS", 2),
    "courier_pickup": env_hours("RULE_COURIER_PICKUP_HOURS", 24),
    # a live parcel of a courier without webhooks is polled again at most this often
    "tracking_repoll": timedelta(minutes=float(env("RULE_TRACKING_REPOLL_MINUTES", "30"))),
    # a pickup slot can no longer be booked this close to its end (kuaidi100: 2 h; a slot ending 19:00 closes at 17:00)
    "pickup_slot_lead": env_hours("RULE_PICKUP_SLOT_LEAD_HOURS", 2),
    "fake_shipping_no_scan": env_hours("RULE_FAKE_SHIPPING_HOURS", 24),
    # picked up, then no further scan this long: fake shipping too
    "fake_shipping_stalled": env_hours("RULE_FAKE_SHIPPING_STALLED_HOURS", 24),
    # How far back a sweep looks for rows that just became due (covers a scheduler outage this long):
    # idle ticks touch only these, never the whole table.
    "sweep_lookback": env_hours("RULE_SWEEP_LOOKBACK_HOURS", 48),
    "auto_confirm_receipt": timedelta(days=float(env("RULE_AUTO_CONFIRM_DAYS", "15"))),
    "cross_border_auto_confirm_receipt": timedelta(days=float(env("RULE_CROSS_BORDER_AUTO_CONFIRM_DAYS", "30"))),
    "receipt_extension": timedelta(days=3),
    "aftersales_response": env_hours("RULE_AFTERSALES_RESPONSE_HOURS", 48),
    "negotiation_answer_window": env_hours("RULE_NEGOTIATION_ANSWER_HOURS", 48),
    "return_ship_window": timedelta(days=7),
    "return_receive_window": timedelta(days=10),
    "escalation_window": timedelta(days=7),
    "review_window": timedelta(days=90),
    "seven_day_return": timedelta(days=float(env("RULE_SEVEN_DAY_RETURN_DAYS", "7"))),
    # 坏果包赔 / 缺重包退 (fresh produce): the buyer claims within this after signing for the parcel
    "fresh_claim": env_hours("RULE_FRESH_CLAIM_HOURS", 48),
    "aftersales_near_timeout": env_hours("RULE_AFTERSALES_NEAR_TIMEOUT_HOURS", 6),
    "review_followup_window": timedelta(days=float(env("RULE_REVIEW_FOLLOWUP_DAYS", "180"))),
    "dsr_window": timedelta(days=float(env("RULE_DSR_WINDOW_DAYS", "90"))),
    "evaluation_failing_period": timedelta(days=float(env("RULE_EVALUATION_FAILING_DAYS", "7"))),
    "store_review_expected": timedelta(days=2),
    "settlement_period": timedelta(days=float(env("RULE_SETTLEMENT_DAYS", "7"))),
    "compensation_coupon_validity": timedelta(days=float(env("RULE_COMPENSATION_COUPON_DAYS", "30"))),
}

# Compensation paid to buyers and deducted from the deposit (DOMAIN.md, Orders), in fen; all configurable.
PORTAL_COMPENSATION_RULES = {
    "late_shipping_flat": int(env("RULE_LATE_SHIPPING_FLAT_FEN", "300")),
    "late_shipping_rate_above": int(env("RULE_LATE_SHIPPING_RATE_ABOVE_FEN", "30000")),
    "late_shipping_permille": int(env("RULE_LATE_SHIPPING_PERMILLE", "10")),
    "late_shipping_cap": int(env("RULE_LATE_SHIPPING_CAP_FEN", "3000")),
    "not_shipped_permille": int(env("RULE_NOT_SHIPPED_PERMILLE", "100")),
    "not_shipped_min": int(env("RULE_NOT_SHIPPED_MIN_FEN", "500")),
    "not_shipped_max": int(env("RULE_NOT_SHIPPED_MAX_FEN", "10000")),
    "fake_shipping": int(env("RULE_FAKE_SHIPPING_FEN", "2000")),
    # one product's fake shipments in a day: more than this many, and more than this percent of its orders
    # that day, compensate every order of that product that day
    "fake_shipping_product_day_count": int(env("RULE_FAKE_SHIPPING_PRODUCT_DAY_COUNT", "10")),
    "fake_shipping_product_day_percent": int(env("RULE_FAKE_SHIPPING_PRODUCT_DAY_PERCENT", "5")),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api.permissions.HasStore"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.throttling.ApiKeyRateThrottle"],
}
# Requests per API key (or per logged-in user on the API) and period; empty disables (docs/api.md).
API_RATE_LIMIT = env("API_RATE_LIMIT", "600/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Merchant portal API",
    "DESCRIPTION": "Integrations for storefronts, ERPs and couriers. Errors: "
    '{"error": {"code", "message", "fields"}}. POSTs accept an Idempotency-Key header.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind"/"status" choice field; name each enum after its model's choices.
    "ENUM_NAME_OVERRIDES": {
        "DiscountKindEnum": "shop.models.promotions.DiscountKind",
        "CouponKindEnum": "shop.models.promotions.CouponKind",
        "CompensationKindEnum": "shop.models.orders.CompensationKind",
        "DocumentKindEnum": "shop.models.stores.DocumentKind",
        "DepositEntryKindEnum": "shop.models.stores.DepositEntryKind",
        "ShipmentStatusEnum": "shipping.models.ShipmentStatus",
        "OrderStatusEnum": "shop.models.orders.OrderStatus",
        "PromotionStatusEnum": "shop.models.promotions.PromotionStatus",
        "TicketStatusEnum": "shipping.models.TicketStatus",
        "TicketKindEnum": "shipping.models.PlatformTicket.Kind",
    },
}

# Logs: plain text here, JSON lines with LOG_JSON=true (the production default); request ids on both.
LOG_JSON = env_bool("LOG_JSON", False)
LOGGING = logging_config(json_lines=LOG_JSON, level=env("LOG_LEVEL", "INFO"))

# Operations: /healthz, /readyz and /metrics (Prometheus) answer plain HTTP behind a TLS-terminating proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# /metrics is open to the private network only: a comma-separated list of client IPs allowed (empty: everyone).
METRICS_ALLOWED_IPS = [ip for ip in env("METRICS_ALLOWED_IPS", "").split(",") if ip]

# Guards (portal/guard.py, docs/operations.md "Login throttling and Content-Security-Policy").
# A NUL byte in a path, query string or page form answers 400 before any view runs.
MIDDLEWARE.insert(MIDDLEWARE.index("portal.tenancy.CurrentStoreMiddleware") + 1, "portal.guard.BadInputMiddleware")

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one account, or from one
# address, that account / address is locked for AXES_COOLOFF_MINUTES (429 and a page saying so).
INSTALLED_APPS += ["axes"]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: per account and per address
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "portal.guard.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.guard.client_ip"
PORTAL_PROXY_COUNT = int(env("PROXY_COUNT", "0"))  # proxies in front that append to X-Forwarded-For
AXES_ENABLE_ADMIN = False  # attempts and lockouts are operations data: `manage.py axes_reset[_username|_ip]`

# Content-Security-Policy (django-csp): no inline script, handler or style anywhere; the API docs pages
# (Swagger UI, Redoc) relax style-src only (portal/urls.py). CSP_IMG_SRC_EXTRA: e.g. the media bucket's origin;
# CSP_REPORT_URI: where browsers report violations.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
INSTALLED_APPS += ["csp"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *[s for s in env("CSP_IMG_SRC_EXTRA", "").split(",") if s]],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # a form may post (and be redirected after posting) to the portal only, plus e.g. a payment provider's cashier
        "form-action": ["'self'", *[s for s in env("CSP_FORM_ACTION_EXTRA", "").split(",") if s]],
        **({"report-uri": env("CSP_REPORT_URI")} if env("CSP_REPORT_URI") else {}),
    },
}
