""".env.example documents every setting, under the name the service reads."""

import re

from app.config import FeatureFlags, Settings
from tests.conftest import ROOT


def _documented() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text()
    return dict(re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.MULTILINE))


def _setting_names() -> set[str]:
    names = {name.upper() for name in Settings.model_fields if name != "features"}
    return names | {f"FEATURE_{name.upper()}" for name in FeatureFlags.model_fields}


def test_every_setting_is_documented_and_nothing_else():
    assert set(_documented()) == _setting_names()


def test_documented_defaults_match_the_code():
    documented = _documented()
    defaults = Settings.model_fields | {
        f"feature_{name}": field for name, field in FeatureFlags.model_fields.items()
    }
    for name, field in defaults.items():
        if name == "features" or field.default is None:
            continue  # unset by default: the file shows an example instead
        value = field.default
        if isinstance(value, frozenset):
            value = ",".join(str(item) for item in sorted(value))
        elif isinstance(value, bool):
            value = str(value).lower()
        assert documented[name.upper()] == str(value), name.upper()
