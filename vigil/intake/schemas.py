"""The shape of the answer to an import over the API."""

from ninja import Schema


class Imported(Schema):
    referral_id: int
    source: str
    source_reference: str
    status: str  # created | duplicate
    grade: str
