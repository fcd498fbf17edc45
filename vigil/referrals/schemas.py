"""The shapes of what is recorded about a referral itself."""

from ninja import Field

from vigil.core.schemas import ChangeIn, When, one_of

from .choices import Indicator


class FactIn(ChangeIn):
    """A fact learned after receipt: where it came from and when Vigil learned it."""

    source: str = Field(
        description='How it was learned, e.g. "intelligence check", "household visit"',
        min_length=1,
        max_length=200,
    )
    learned_at: When | None = Field(None, description="When it was learned (default: now)")


class IndicatorIn(FactIn):
    indicator: one_of(Indicator)


class RestrictionIn(ChangeIn):
    restricted: bool = Field(True, description="false lifts the restriction")
    usernames: list[str] = Field([], description="The people who may see it (you are always named)")
