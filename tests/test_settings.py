"""Settings from the environment: defaults, parsing, errors naming the variable, the README."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from qa.errors import SettingsError
from qa.settings import PREFIX, Settings, bundled_policy, describe, key_name

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


def test_support_keys_are_named_or_named_by_a_hash_of_the_key() -> None:
    alice, tool, bare = "a" * 20, "t" * 20, "b" * 20
    settings = Settings.from_env({"PRIVACY_QA_API_KEYS": f"alice:{alice}, tool.v2:{tool},{bare}"})
    assert [(k.name, k.key) for k in settings.api_keys] == [
        ("alice", alice),
        ("tool.v2", tool),
        ("key-" + hashlib.sha256(bare.encode()).hexdigest()[:8], bare),
    ]
    assert key_name(bare) == settings.api_keys[2].name
    assert Settings.from_env(settings.to_environ()) == settings  # workers get the same names
    for text in (repr(settings), repr(settings.api_keys), settings.shown("api_keys")):
        assert alice not in text and bare not in text  # a key is never shown or logged
    given = (f"alice:{alice}",)  # as code may give them, in the setting's syntax
    assert Settings(api_keys=given).api_keys == settings.api_keys[:1]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("al ice:" + "k" * 20, "has a name that is not allowed"),
        ("ana@example.com:" + "k" * 20, "has a name that is not allowed"),
        ("requester:" + "k" * 20, "not requester or system"),
        ("system:" + "k" * 20, "not requester or system"),
        (":" + "k" * 20, "has a name that is not allowed"),
        ("x" * 65 + ":" + "k" * 20, "has a name that is not allowed"),
        ("alice:tinykey9", "shorter than 16 characters"),
        ("alice:" + "k" * 20 + ",alice:" + "j" * 20, "given to two keys"),
        ("alice:" + "k" * 20 + ",bob:" + "k" * 20, "listed twice"),
    ],
)
def test_a_bad_key_name_is_a_settings_error_that_does_not_show_the_key(
    value: str, says: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"PRIVACY_QA_API_KEYS": value})
    message = raised.value.message
    assert raised.value.field == "PRIVACY_QA_API_KEYS" and says in message
    assert "k" * 20 not in message and "j" * 20 not in message and "tinykey9" not in message


def test_the_reply_time_is_one_short_line() -> None:
    assert Settings().reply_time == "within 2 business days"
    assert Settings.from_env({"PRIVACY_QA_REPLY_TIME": "by tomorrow"}).reply_time == "by tomorrow"
    for bad in ("two\nlines", "x" * 101):
        with pytest.raises(SettingsError, match="PRIVACY_QA_REPLY_TIME"):
            Settings.from_env({"PRIVACY_QA_REPLY_TIME": bad})
