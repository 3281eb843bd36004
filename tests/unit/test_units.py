import pytest

from validator.units import format_duration, format_size, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("1m30s", 90),
        ("500ms", 0.5),
        ("2h", 7200),
        ("1.5s", 1.5),
        (10, 10),
        ("10", 10),
        ("1d", 86400),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["-1s", "10 seconds", "1x", "", "s", True, -3, None, "1m-3s"])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("512m", 512 * 2**20),
        ("2g", 2 * 2**30),
        ("256MiB", 256 * 2**20),
        ("8GiB", 8 * 2**30),
        ("1k", 1024),
        (4096, 4096),
        ("256M", 256 * 2**20),
        ("100b", 100),
        ("1.5g", int(1.5 * 2**30)),
    ],
)
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["2pb", "1XB", "-1g", "lots", "1.5", 1.5, True, "3 pb", "-1"])
def test_bad_sizes(bad):
    with pytest.raises(ValueError):
        parse_size(bad)


@pytest.mark.parametrize(
    ("text", "size"),
    [("256mb", 256 * 2**20), ("1gb", 2**30), ("1GB", 2**30), ("2kb", 2048), ("100b", 100), ("1tb", 2**40)],
)
def test_compose_byte_units_are_binary(text, size):
    """The Compose Specification's b/kb/mb/gb are Docker's RAMInBytes: binary multiples, not ambiguous."""
    assert parse_size(text) == size


def test_unknown_unit_message_lists_the_units():
    with pytest.raises(ValueError, match="use b, k/kb, m/mb, g/gb"):
        parse_size("2pb")


def test_formatting():
    assert format_size(512 * 2**20) == "512 MiB"
    assert format_size(1.25 * 2**30) == "1.25 GiB"
    assert format_duration(3.456) == "3.46s"
    assert format_duration(95.5) == "1m35.5s"
