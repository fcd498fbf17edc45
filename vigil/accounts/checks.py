"""A claims mapping that cannot be read stops Vigil at start, not at someone's first sign-in."""

import tomllib

from django.conf import settings
from django.core.checks import Error, register

from .oidc import claim_mapping


@register()
def claims_mapping_readable(app_configs=None, **kwargs):
    if not getattr(settings, "VIGIL_OIDC", False):
        return []
    try:
        claim_mapping()
    except (OSError, ValueError, tomllib.TOMLDecodeError) as error:
        return [
            Error(
                f"VIGIL_OIDC_CLAIMS ({settings.VIGIL_OIDC_CLAIMS}) cannot be used: {error}",
                id="vigil.E101",
            )
        ]
    return []
