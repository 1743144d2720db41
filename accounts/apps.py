from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (asks for the second factor after a password login)

        _rate_limits_fail_open()


def _rate_limits_fail_open() -> None:
    """allauth's rate limits (the applicants' login, sign-up, password reset) keep their counts
    in the default cache through a module-level `cache`, with no setting to change it; on
    Redis in production, a Redis outage would make those pages 500. They get the fail-open
    wrapper the API throttles use (accounts/throttling.py); logins stay limited meanwhile by
    the lockout, which lives in the database."""
    try:
        from allauth.core.internal import ratelimit
    except ImportError:  # the web form's applicant accounts are not installed
        return
    from accounts.throttling import FailOpenCache

    if not isinstance(ratelimit.cache, FailOpenCache):
        ratelimit.cache = FailOpenCache(ratelimit.cache)
