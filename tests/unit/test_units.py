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


@pytest.mark.parametrize("bad", ["2gb", "1MB", "-1g", "lots", "1.5", 1.5, True, "3 pb"])
def test_bad_sizes(bad):
    with pytest.raises(ValueError):
        parse_size(bad)


def test_ambiguous_unit_message_says_what_to_write():
    with pytest.raises(ValueError, match="write '2g' or '2GiB'"):
        parse_size("2gb")


def test_formatting():
    assert format_size(512 * 2**20) == "512 MiB"
    assert format_size(1.25 * 2**30) == "1.25 GiB"
    assert format_duration(3.456) == "3.46s"
    assert format_duration(95.5) == "1m35.5s"
