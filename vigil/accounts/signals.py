"""Sign-ins, failed sign-ins and sign-outs go on the audit trail, however they happen."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from vigil.audit.choices import AuditAction
from vigil.audit.services import record


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    record(user, AuditAction.LOGIN, user, force_code=user.force.code if user.force else "")


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # The username tried is kept (it may identify an attack); the password never is.
    record(
        None,
        AuditAction.LOGIN_FAILED,
        object_type="accounts.user",
        detail=f"username tried: {str(credentials.get('username', ''))[:150]}",
    )


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(user, AuditAction.LOGOUT, user)


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    record(
        None,
        AuditAction.LOCKED_OUT,
        object_type="accounts.user",
        detail=f"username locked out: {str(username or '')[:150]}",
    )


try:
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="vigil_locked_out")
except ImportError:  # pragma: no cover - axes is a dependency
    pass
