"""Phone numbers normalised to E.164 with the `phonenumbers` library."""

import phonenumbers

from app.errors import ValidationFailedError


def normalise_phone(raw: str, default_region: str, *, field: str = "phone") -> str:
    """E.164 form of `raw`; national numbers are read in `default_region` (e.g. "DE")."""
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailedError(field, f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationFailedError(field, f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
