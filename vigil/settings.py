"""Django settings for Vigil, read from the environment.

VIGIL_ENV selects the mode: ``development`` (the default, used by ``make demo``), ``test`` or
``production``. Production fails closed: it refuses to start with DEBUG on, without a real
SECRET_KEY or without ALLOWED_HOSTS.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent

ENVIRONMENT = os.environ.get("VIGIL_ENV", "development").strip().lower()
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"VIGIL_ENV must be development, test or production, not {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("VIGIL_DATA_DIR", "var")).resolve()

_DEVELOPMENT_SECRET = "vigil-development-only-secret-key-never-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("VIGIL_SECRET_KEY", "" if PRODUCTION else _DEVELOPMENT_SECRET)
DEBUG = _flag("VIGIL_DEBUG", default=ENVIRONMENT == "development")
ALLOWED_HOSTS = _list("VIGIL_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("Vigil refuses to run in production with VIGIL_DEBUG on.")
    if len(SECRET_KEY) < 50 or SECRET_KEY == _DEVELOPMENT_SECRET or "insecure" in SECRET_KEY:
        raise ImproperlyConfigured(
            "Vigil refuses to run in production without a real VIGIL_SECRET_KEY "
            "(50 or more random characters)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set VIGIL_ALLOWED_HOSTS to the host names Vigil serves.")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Background work: Django's task framework (the django-tasks backport) with its database
    # backend, so the queue is a table and needs no broker (docs/architecture.md).
    "django_tasks",
    "django_tasks_db",
    # In the order of their layers, from the bottom (see docs/architecture.md).
    "vigil.core",
    "vigil.audit",
    "vigil.accounts",
    "vigil.referrals",
    "vigil.people",
    "vigil.risk",
    "vigil.clocks",
    "vigil.safeguarding",
    "vigil.investigations",
    "vigil.insight",
    "vigil.intake",
    "vigil.exhibits",
    "vigil.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that reads the database: a database gone away is a plain 503.
    "vigil.core.middleware.DatabaseUnavailable",
    "vigil.audit.middleware.RequestContextMiddleware",
    "vigil.core.middleware.SecurityHeadersMiddleware",
    "vigil.core.middleware.RefuseNulCharacters",
    "vigil.core.middleware.RefuseBadAsOf",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in person's own choice of language beats their browser's.
    "vigil.accounts.middleware.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "vigil.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lock-out after repeated failures, per username whatever address it comes from.
AXES_FAILURE_LIMIT = int(os.environ.get("VIGIL_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("VIGIL_LOGIN_LOCKOUT_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# axes.W006 warns that locking by address resists rotated user agents; Vigil locks the username
# itself, wherever the attempts come from, which rotating anything cannot get round. Locking by
# address would lock out a whole police station behind one gateway.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Roles that must use a second factor (a TOTP app) every time they sign in.
VIGIL_SECOND_FACTOR_ROLES = _list("VIGIL_SECOND_FACTOR_ROLES", "supervisor,unit_head,administrator")
OTP_TOTP_ISSUER = "Vigil"

# Single sign-on through OpenID Connect, for forces that use it: set the issuer's endpoints and
# this client's id and secret. The first sign-in creates the person with the role and force the
# provider's claims give them (the mapping: VIGIL_OIDC_CLAIMS, a TOML file; docs/security.md).
VIGIL_OIDC = bool(os.environ.get("OIDC_RP_CLIENT_ID"))
VIGIL_OIDC_CLAIMS = os.environ.get("VIGIL_OIDC_CLAIMS", "")
VIGIL_OIDC_NAME = os.environ.get("VIGIL_OIDC_NAME", "your force account")
if VIGIL_OIDC:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.insert(1, "vigil.accounts.oidc.ProvisioningBackend")
    OIDC_RP_CLIENT_ID = os.environ["OIDC_RP_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
    OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
    OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
    OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
    OIDC_USE_PKCE = _flag("OIDC_USE_PKCE", default=True)
    OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT", 15))
    OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc-callback"
    OIDC_CREATE_USER = True  # done by vigil.accounts.services.sign_in_by_sso, from the claims

ROOT_URLCONF = "vigil.urls"
WSGI_APPLICATION = "vigil.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vigil.core.context_processors.navigation",
                "vigil.clocks.context_processors.unread_notifications",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    # A kept connection is checked before each request reuses it, so a connection the database
    # dropped (a restart, a failover) is replaced at once instead of failing one request.
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "vigil.sqlite3",
            "OPTIONS": {
                # Every transaction takes the write lock at BEGIN, so one that reads then
                # writes (a guarded change, the audit trail's seal) never fails upgrading
                # its lock half-way through.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Tests use a file too, not shared-cache memory: concurrent writers must wait for
            # each other's locks exactly as they do in use.
            "TEST": {
                "NAME": os.environ.get(
                    "VIGIL_TEST_DATABASE",
                    str(Path(tempfile.gettempdir()) / f"vigil-test-{os.getpid()}.sqlite3"),
                )
            },
        }
    }

# The queue of background work: a table in Vigil's own database. Workers (`vigil worker`, or
# the thread `vigil serve` starts on SQLite) claim each task with SELECT … FOR UPDATE SKIP
# LOCKED on PostgreSQL (an exclusive transaction on SQLite), so no task runs twice.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# English and Welsh: the four Welsh forces must offer their service in Welsh. Each app keeps its
# own messages in its ``locale/cy`` catalogue; a signed-in person's choice is kept on their user
# (``User.language``), and before anyone signs in the browser's Accept-Language decides.
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Collected static files exist only in production; elsewhere they are served from the apps.
STATIC_ROOT = Path(os.environ.get("VIGIL_STATIC_ROOT", DATA_DIR / "static")) if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Intake limits. A document larger than this is refused before it is parsed; JSON Lines files
# are read a line at a time, so the limit applies to each line, not to the file.
VIGIL_MAX_DOCUMENT_BYTES = int(os.environ.get("VIGIL_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024))
VIGIL_MAX_PACKAGE_BYTES = int(os.environ.get("VIGIL_MAX_PACKAGE_BYTES", 50 * 1024 * 1024))
VIGIL_MAX_PACKAGE_FILES = int(os.environ.get("VIGIL_MAX_PACKAGE_FILES", 500))
DATA_UPLOAD_MAX_MEMORY_SIZE = VIGIL_MAX_DOCUMENT_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = VIGIL_MAX_DOCUMENT_BYTES
DATA_UPLOAD_MAX_NUMBER_FILES = 200

# The risk policy file in force (default: Vigil's own, vigil-default/2). A force may point this
# at its licensed policy; each assessment records the policy id and version it used.
VIGIL_RISK_POLICY = os.environ.get("VIGIL_RISK_POLICY", "")
# Assessments per assessor drawn for a supervisor's quality check each time sampling runs.
VIGIL_QUALITY_SAMPLE_SIZE = int(os.environ.get("VIGIL_QUALITY_SAMPLE_SIZE", 3))

# Where people reach Vigil, for links in e-mails.
VIGIL_BASE_URL = os.environ.get("VIGIL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# E-mail for escalations: written to var/mail in development and the demo, SMTP in production
# (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS).
EMAIL_BACKEND = os.environ.get(
    "VIGIL_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("VIGIL_FROM_EMAIL", "vigil@localhost")
# Without a time-out a mail server that never answers holds the escalation sweep for good; with
# one, the e-mail is recorded as failed and tried again later.
EMAIL_TIMEOUT = int(os.environ.get("VIGIL_EMAIL_TIMEOUT", 30))

SESSION_COOKIE_AGE = int(os.environ.get("VIGIL_SESSION_SECONDS", 30 * 60))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _flag("VIGIL_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = _list("VIGIL_CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("VIGIL_LOG_LEVEL", "WARNING")},
}
