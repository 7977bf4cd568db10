"""Settings for Sumida Kokuho, read from the environment with django-environ.

Defaults are the safe production ones (DEBUG off, no hosts allowed, secure cookies); the README's
run command and the test settings switch them for local use. With no DATABASE_URL the embedded
SQLite file under var/ is used, so a first run needs no other service.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp import constants as csp_constants
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _local_secret_key(path: Path) -> str:
    """The key in `path`, made (random, owner-only) the first time."""
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as key_file:
            key_file.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 (never used with DEBUG off)
    elif os.environ.get("SUMIDA_KOKUHO_COMMAND_LINE") == "1":
        # A manage.py command on this machine (e.g. `manage.py assess -` run by another system):
        # a key kept in var/ so that commands work without set-up. The web server (wsgi/asgi)
        # never takes this path: it needs SECRET_KEY from the environment.
        SECRET_KEY = _local_secret_key(BASE_DIR / "var" / "secret_key")
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for local development).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin, with a default site that requires the second factor (django-otp).
    "sumida_kokuho.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "sumida_kokuho.apps.SumidaKokuhoConfig",
    "eligibility",
    "cards",
    "notices",
    # Background tasks (the monthly issuance batch): Django's tasks API, backported to 5.2, with
    # its database backend; `manage.py db_worker` runs them (docs/adr/0012-issuance-batch.md).
    "django_tasks",
    "django_tasks_db",
]

# The fake OpenID provider (sumida_kokuho/fake_oidc) signs tokens with a throwaway key: for the
# tests and the demo only. Never on in production (see docs/adr/0011-resident-sign-in.md).
FAKE_OIDC = env.bool("FAKE_OIDC", default=DEBUG)
if FAKE_OIDC:
    INSTALLED_APPS.append("sumida_kokuho.fake_oidc")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp 4): the policy is CONTENT_SECURITY_POLICY below.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified (user.is_verified()) once a second factor matched this session.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signs out after 30 idle minutes or 12 hours in all (staff and residents alike).
    "sumida_kokuho.middleware.SessionTimeoutMiddleware",
    # Sign-in required by default: views marked public (sumida_kokuho.security.public) are the
    # exceptions; anonymous visitors go to the residents', the admin's or the staff's sign-in.
    "sumida_kokuho.middleware.LoginRequiredMiddleware",
    # Cache-Control: no-store on every response to a signed-in user.
    "sumida_kokuho.middleware.NoStoreForSignedInMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during authentication into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sumida_kokuho.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # {{ CSP_NONCE }}: the nonce of this response's policy, for the rare inline tag.
                "csp.context_processors.nonce",
            ],
            "builtins": ["sumida_kokuho.templatetags.wareki"],
        },
    },
]

WSGI_APPLICATION = "sumida_kokuho.wsgi.application"
ASGI_APPLICATION = "sumida_kokuho.asgi.application"

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'sumida_kokuho.sqlite3'}"
    ),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout keep the embedded database usable by a web process and a command.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the rate limits of sumida_kokuho.security (and the fake provider's used codes).
# Process memory by default; with several server processes (gunicorn workers) set a cache they
# share, e.g. CACHE_URL=filecache:///var/tmp/sumida-kokuho-cache on one host, so that a limit is
# not multiplied by the number of workers.
# The resident portal's cached status pages (personal data) stay in each process's memory,
# whatever CACHE_URL says: a shared cache would be one more place that holds them.
CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://"),
    "portal": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "portal"},
}
PORTAL_STATUS_CACHE = "portal"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Argon2id first (argon2-cffi); older hashes are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# django-axes checks every password sign-in (staff and residents) and the residents' activation
# form first: 5 failures for one name from one address lock it for 15 minutes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout page (429): the portal's own under /portal/, a general one for staff and admin.
AXES_LOCKOUT_CALLABLE = "sumida_kokuho.security.lockout_response"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_VERBOSE = False

# Resident sign-in through the Digital Agency's デジタル認証アプリ (OpenID Connect, code flow with
# PKCE). With FAKE_OIDC the defaults point at the fake provider served by this site.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="http://127.0.0.1:8000/fake-oidc" if FAKE_OIDC else "")
OIDC_METADATA_URL = env.str(
    "OIDC_METADATA_URL",
    default=f"{OIDC_ISSUER}/.well-known/openid-configuration" if OIDC_ISSUER else "",
)
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="sumida-kokuho-demo" if FAKE_OIDC else "")
OIDC_CLIENT_SECRET = env.str(
    "OIDC_CLIENT_SECRET",
    default="fake-oidc-demo-secret" if FAKE_OIDC else "",  # noqa: S105 (fake provider only)
)
OIDC_SCOPES = env.str("OIDC_SCOPES", default="openid name address birthdate gender")
# Seconds of clock skew allowed when checking the ID token's exp and iat.
OIDC_LEEWAY = env.int("OIDC_LEEWAY", default=60)

# Mail: password resets. The console in development, SMTP from the environment otherwise.
if DEBUG:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / "var" / "mail")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@kokuho.city.sumida.example")
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

# Japanese first; English complete.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "sumida_kokuho_language"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "sumida_kokuho" / "static"]

# Cookies and transport: secure unless developing locally (see the README's security section).
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Browsers accept a `__Host-` cookie only when it is Secure, has Path=/ and no Domain, so it can
# be neither set over plain HTTP nor shadowed by a sibling subdomain. The prefix follows the
# Secure flag: production gets `__Host-sessionid`, the plain-HTTP demo keeps `sessionid`.
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads the token: forms carry it in a hidden field
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Sessions end after 30 minutes without a request and, by
# sumida_kokuho.middleware.SessionTimeoutMiddleware, after 12 hours whatever the activity;
# the middleware checks the idle time itself (ASVS 3.3.2). Sliding: the middleware stamps the
# last activity (and so saves the session, renewing its expiry) when the stamp is older than
# SESSION_ACTIVITY_STEP seconds, not on every request — a write per page view cost the resident
# status page most of its rate. An idle session thus ends up to that step early, never late.
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
SESSION_ACTIVITY_STEP = 60
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
# HSTS for a year, on this host and every name under it (nothing under the portal's own name may
# serve plain HTTP). The `preload` token is sent: it only states consent. A preload-list entry is
# made for a registrable domain by its owner, and the list requires the token on that domain's
# own answer, so on the portal's host it lists nothing by itself (SECURE_HSTS_PRELOAD=false drops
# it; `check --deploy` then warns W021). See the README's security section.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4; the same dict moves to Django 6's SECURE_CSP). Scripts
# and styles come from this site's static files; the few inline <style> blocks carry the
# response's nonce ({{ CSP_NONCE }}); there are no inline scripts or style attributes.
# tests/test_security_csp.py checks every template for that.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF, csp_constants.NONCE],
        "img-src": [csp_constants.SELF],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    },
}

# Staff sign in with a password and a TOTP code (docs/adr/0007-staff-second-factor-and-search.md).
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
OTP_TOTP_ISSUER = "Sumida Kokuho"

# Ward parameters that are settings, not rules: the insurer number is validated by its check digit.
INSURER_NUMBER = env.str("INSURER_NUMBER", default="131078")
INSURER_NAME = env.str("INSURER_NAME", default="墨田区")

# Every handler carries the redacting filter (sumida_kokuho/logging.py): PINs, passwords, session
# ids, CSRF tokens and My Numbers never reach a log line. Django's own loggers ("django",
# "django.server") are sent to the same handler, replacing Django's default handlers (which lack
# the filter; its mail_admins handler would mail request data), and propagate no further.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "sumida_kokuho.logging.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Background tasks. The database backend queues tasks as rows that any number of
# `manage.py db_worker` processes share; "immediate" runs a task inside enqueue() (the embedded
# SQLite default, one process). Django 6 has the same API as `django.tasks`.
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_default_tasks = (
    "immediate" if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else "database"
)
TASKS = {
    "default": {
        "BACKEND": _TASK_BACKENDS[env.str("TASKS_BACKEND", default=_default_tasks)],
        "QUEUES": ["default", "issuance"],
    }
}

# The issuance batch (notices/batch): where print files go, how many envelopes' documents one
# print file (and one unit of work) holds, how long a worker's claim lasts before another
# worker may take the chunk over, and whether approving needs a second admin.
BATCH_DIR = env.path("BATCH_DIR", default=BASE_DIR / "var" / "batch")
BATCH_CHUNK_SIZE = env.int("BATCH_CHUNK_SIZE", default=2000)
BATCH_LEASE_SECONDS = env.int("BATCH_LEASE_SECONDS", default=600)
BATCH_FOUR_EYES = env.bool("BATCH_FOUR_EYES", default=True)
