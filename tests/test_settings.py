"""Settings from the environment: defaults, parsing, errors naming the variable, the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import SettingsError
from qa.settings import PREFIX, Settings, bundled_policy, describe

README = Path(__file__).parents[1] / "README.md"


def test_defaults_serve_the_bundled_policy_on_loopback() -> None:
    settings = Settings.from_env({})
    assert settings.policy == bundled_policy()
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings == Settings()


def test_values_are_read_from_the_given_environment_not_os_environ(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "PRIVACY_QA_POLICY": str(tmp_path),
            "PRIVACY_QA_HOST": "0.0.0.0",
            "PRIVACY_QA_PORT": " 9000 ",
            "PRIVACY_QA_WORKERS": "4",
            "PRIVACY_QA_PUBLIC_URL": "https://privacy.example.com/",
            "PRIVACY_QA_MIN_CONFIDENCE": "0.25",
            "PRIVACY_QA_LOG_LEVEL": "WARNING",
            "UNRELATED": "ignored",
        }
    )
    assert settings.policy == tmp_path
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9000, 4)
    assert settings.public_url == "https://privacy.example.com"
    assert settings.min_confidence == 0.25
    assert settings.log_level == "warning"


def test_an_empty_variable_means_the_default() -> None:
    assert Settings.from_env({"PRIVACY_QA_PORT": "", "PRIVACY_QA_HOST": "  "}) == Settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PRIVACY_QA_PORT", "eighty"),
        ("PRIVACY_QA_PORT", "0"),
        ("PRIVACY_QA_PORT", "70000"),
        ("PRIVACY_QA_WORKERS", "0"),
        ("PRIVACY_QA_WORKERS", "two"),
        ("PRIVACY_QA_PUBLIC_URL", "privacy.example.com"),
        ("PRIVACY_QA_PUBLIC_URL", "ftp://privacy.example.com"),
        ("PRIVACY_QA_MIN_CONFIDENCE", "1.5"),
        ("PRIVACY_QA_MIN_CONFIDENCE", "high"),
        ("PRIVACY_QA_LOG_LEVEL", "loud"),
        ("PRIVACY_QA_PURGE_INTERVAL_HOURS", "-1"),
        ("PRIVACY_QA_PURGE_INTERVAL_HOURS", "inf"),
        ("PRIVACY_QA_PURGE_INTERVAL_HOURS", "daily"),
        ("PRIVACY_QA_SMTP_TIMEOUT_SECONDS", "0"),
    ],
)
def test_a_bad_value_raises_settings_error_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({variable: value})
    assert raised.value.field == variable
    assert variable in raised.value.message
    assert repr(value) in raised.value.message


def test_settings_round_trip_through_the_environment_for_worker_processes() -> None:
    settings = Settings().with_values(port=8123, public_url="https://p.example.com")
    assert Settings.from_env(settings.to_environ()) == settings


def test_describe_lists_every_setting_with_help() -> None:
    rows = describe()
    names = [name for name, _, _ in rows]
    assert len(names) == len(set(names))
    for name, default, help_text in rows:
        assert name.startswith(PREFIX) and name == name.upper()
        assert help_text.strip() and default.strip()
    for required in ("POLICY", "HOST", "PORT", "PUBLIC_URL"):
        assert PREFIX + required in names


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    missing = [name for name, _, _ in describe() if f"`{name}`" not in readme]
    assert not missing, f"add these settings to the README's settings table: {missing}"
