"""Stored values in the users' words."""


def label_of(vocabulary, value, *, otherwise: str | None = None) -> str:
    """The words a vocabulary (a ``TextChoices``) has for a stored value.

    A value the vocabulary does not hold (a source's own term, or one an older version of
    Vigil stored) is shown as ``otherwise`` or, without it, as its own words.
    """
    try:
        return vocabulary(value).label
    except ValueError:
        return str(value).replace("_", " ").capitalize() if otherwise is None else otherwise
