"""Round-3 adversary (s9) cases 02, 09, 10: no output quotes a value a credential may sit in.

02: a drift reason never prints the value of a field Compose users put credentials in (a literal
``DATABASE_URL`` with a password under an innocuous name is no registered secret).
"""

from __future__ import annotations

from typing import Any

import pytest

from validator.engine.diff import config_diff

OLD_PW, NEW_PW = "OldUrlPw4455zz", "NewUrlPw8899yy"


def _pair(field: str, value_of: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return {field: value_of(OLD_PW)}, {field: value_of(NEW_PW)}


@pytest.mark.parametrize(
    ("field", "value_of", "said"),
    [
        ("environment", lambda pw: {"DATABASE_URL": f"postgres://app:{pw}@db:5432/app"}, "DATABASE_URL changed"),
        ("labels", lambda pw: {"auth.users": f"admin:{pw}"}, "auth.users changed"),
        ("command", lambda pw: ["mysqld", f"--password={pw}"], "command: changed"),
        ("entrypoint", lambda pw: ["run", pw], "entrypoint: changed"),
        ("post_start", lambda pw: [{"command": ["sh", "-c", f"login {pw}"]}], "post_start: changed"),
        ("healthcheck", lambda pw: {"test": ["CMD", "ping", f"-p{pw}"], "retries": 3}, "healthcheck.test: changed"),
    ],
)
def test_a_rotated_literal_credential_is_named_never_shown(field: str, value_of: Any, said: str) -> None:
    old, new = _pair(field, value_of)
    # inspected: what Docker reports of the old container, the one source that let the old value be printed
    reasons = config_diff(old, new, inspected=old)
    text = "\n".join(reasons)
    assert said in text and OLD_PW not in text and NEW_PW not in text, text


def test_an_added_variable_is_named_without_its_value() -> None:
    reasons = config_diff({"environment": {}}, {"environment": {"DATABASE_URL": f"mysql://u:{NEW_PW}@db/x"}})
    assert reasons == ["environment: +DATABASE_URL"]


def test_a_healthcheck_turned_on_says_so_without_its_test() -> None:
    reasons = config_diff({"healthcheck": "disabled"}, {"healthcheck": {"test": ["CMD", f"--pw={NEW_PW}"]}})
    assert reasons == ["healthcheck: changed"]


def test_fields_without_credentials_keep_their_values() -> None:
    reasons = config_diff({"mem_limit": 64 * 2**20}, {"mem_limit": 96 * 2**20})
    assert reasons == ["mem_limit: 64 MiB -> 96 MiB"]
