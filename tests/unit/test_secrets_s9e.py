"""Credentials inside strings, read generously toward the right (adversary s9b cases 01-07, 13)."""

from __future__ import annotations

from validator.redact import is_secret_name
from validator.spec.secrets import collect, embedded, held


def test_a_query_value_runs_past_a_comma_no_new_pair_follows():  # case 01
    assert "Tk9,CommaTail5566qq" in embedded("http://127.0.0.1:1/missing?token=Tk9,CommaTail5566qq")


def test_a_name_of_settings_secrets_is_honoured_in_a_pair():  # case 02
    data = {"settings": {"secrets": ["sig"]}, "probes": {"p": {"url": "http://h/x?sv=2024&sig=MarkedSig7788ww"}}}
    assert "MarkedSig7788ww" in collect(data, {}, {})
    assert "Marked-7788ww" in embedded("http://h/x?zz=Marked-7788ww", ["ZZ"])


def test_a_url_password_runs_to_the_last_at_sign():  # case 03
    found = embedded("http://svc:LongPwPrefix9988#tail/x?y@host:1/path")
    assert "LongPwPrefix9988#tail/x?y" in found
    assert "LongPwPrefix9988" in found  # the head a URL parser quotes when it splits at "#"


def test_auth_schemes_any_case_and_tool_short_forms():  # case 05
    assert "LowerBearer3344" in embedded("authorization: bearer LowerBearer3344")
    assert "GhToken-3344" in embedded("curl -H 'Authorization: token GhToken-3344' http://x")
    argv = ["sh", "-c", "echo", "curl", "-u", "admin:CurlUPw1122xx", "http://x"]
    assert "CurlUPw1122xx" in collect({"probes": {"p": {"command": argv}}}, {}, {})
    assert "MysqlDashP5566" in embedded("mysql -uroot -pMysqlDashP5566 -e 'select 1'")


def test_the_forms_stay_where_they_say_so():  # the guard: no over-masking of common text
    assert embedded("note: basic setup, the Basic idea, a Token count") == []
    assert embedded("docker run -u postgres:postgres -p8080:80 img; find . -print") == []
    assert embedded("size=10G,mode=0755") == []
    assert embedded('mysqladmin ping -uroot -p"$MYSQL_ROOT_PASSWORD" --silent') == []  # a reference


def test_a_value_ends_at_a_space():
    assert set(embedded("--db-password=FlagPw9912 --verbose")) == {"FlagPw9912"}


def test_config_file_strings_carry_credentials():  # case 04
    document = {"spring": {"datasource": {"url": "jdbc:postgresql://db:5432/app?user=app&password=CfgUrlPw7733mm"}}}
    assert "CfgUrlPw7733mm" in held(document)


def test_key_is_a_secret_part_of_a_dotted_name():  # case 06
    assert is_secret_name("spark.hadoop.fs.azure.account.key.prodlake.dfs.core.windows.net")
    assert is_secret_name("spark.hadoop.fs.azure.sas.raw.prodlake.blob.core.windows.net")
    assert "SasSigPlanted3311" in held({"x": "sv=2022-11-02&ss=b&sig=SasSigPlanted3311"})
    assert not is_secret_name("KEY_FIELD") and not is_secret_name("spark.sql.shuffle.partitions")
    assert not is_secret_name("keyboard.layout") and not is_secret_name("signal")


def test_pairs_after_brackets_and_quotes_and_quoted_values():  # case 07
    found = embedded("n=1; (db_password=ParenPw5511aa); env API_TOKEN=QuotedTok5511bb true")
    assert {"ParenPw5511aa", "QuotedTok5511bb"} <= set(found)
    assert "my Spaced-Pw-5511cc" in embedded("export 'PASSWORD=my Spaced-Pw-5511cc'")
    assert "dq Spaced-Pw-5511" in embedded('X=1 PASSWORD="dq Spaced-Pw-5511" run')
    assert "FragTok-5511" in embedded("http://h/cb#access_token=FragTok-5511&x=1")


def test_a_cifs_double_comma_is_a_literal_comma():  # case 13
    found = embedded("username=svc,password=Q7,,CommaCifsPw4455zz,vers=3.0")
    assert "Q7,,CommaCifsPw4455zz" in found and "Q7,CommaCifsPw4455zz" in found
    assert "vers=3.0" not in " ".join(found)
