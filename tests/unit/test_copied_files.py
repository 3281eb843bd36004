"""Copy targets beneath a mount made at the start (lint/copied_files.py, spec/copied.py; adversary graph6
case 11): a config or secret copied into the created container under a tmpfs, the runtime's /dev, /proc,
/sys or the engine's /etc/hosts is hidden at the start, so the spec is refused, located; the innermost
mount decides, and what is mounted rather than copied is never flagged."""

from __future__ import annotations

import textwrap

import pytest

from validator.load import lint_files
from validator.spec.copied import Cover, covering

HEAD = """\
services:
  web:
    image: busybox
"""
TAIL = """\
configs:
  page: {content: "PAGE"}
  page_file: {file: ./page.txt}
secrets:
  token: {environment: TOKEN}
"""


def _lint(tmp_path, block: str, *, settings: str = "") -> list[tuple[tuple[object, ...], str]]:
    (tmp_path / "page.txt").write_text("PAGE\n")
    text = HEAD + textwrap.indent(block.strip() + "\n", "    ") + TAIL + settings
    (tmp_path / "compose.yaml").write_text(text)
    findings = lint_files([str(tmp_path / "compose.yaml")], {"TOKEN": "t"})
    return [(f.path, f.message) for f in findings if f.rule == "copied-files" and f.severity == "error"]


@pytest.mark.parametrize(
    ("block", "path", "mount"),
    [
        ("tmpfs: [/www]\nconfigs: [{source: page, target: /www/index.html}]", ("configs", 0), "the tmpfs /www"),
        ("tmpfs: ['/www:size=1m']\nconfigs: [{source: page, target: /www/index.html}]", ("configs", 0), "tmpfs /www"),
        ("volumes: [{type: tmpfs, target: /srv}]\nconfigs: [{source: page, target: /srv/a/b}]", ("configs", 0), "/srv"),
        ("tmpfs: [/run]\nsecrets: [token]", ("secrets", 0), "the tmpfs /run"),  # /run/secrets/token
        ("configs: [{source: page, target: /dev/shm/page}]", ("configs", 0), "the runtime's /dev"),
        ("configs: [{source: page, target: /etc/hosts}]", ("configs", 0), "the runtime's /etc/hosts"),
        ("configs: [{source: page, target: /proc/x}]", ("configs", 0), "the runtime's /proc"),
        (
            "tmpfs: [/www]\nconfigs: [page, {source: page_file, target: /www/x, mode: 0440}]",
            ("configs", 1),
            "the tmpfs /www",
        ),  # a file copied in because it asks for a mode
    ],
)
def test_a_copy_target_under_a_mount_made_at_the_start_is_an_error(tmp_path, block, path, mount):
    found = _lint(tmp_path, block)
    assert [p for p, _ in found] == [("services", "web", *path)], found
    assert mount in found[0][1] and "never sees it" in found[0][1]


@pytest.mark.parametrize(
    "block",
    [
        "configs: [{source: page, target: /www/index.html}]",  # the image layer
        "tmpfs: [/www]\nvolumes: [data:/www/data]\nconfigs: [{source: page, target: /www/data/index.html}]",
        "tmpfs: [/www]\nvolumes: ['./site:/www/site']\nconfigs: [{source: page, target: /www/site/x}]",
        "tmpfs: [/www]\nconfigs: [{source: page_file, target: /www/index.html}]",  # bind-mounted, not copied
        "tmpfs: [/wwwx]\nconfigs: [{source: page, target: /www/index.html}]",  # a sibling, not a parent
        "tmpfs: [/www/cache]\nconfigs: [{source: page, target: /www/index.html}]",  # a child, not a parent
        "configs: [{source: page, target: /etc/hosts.d/x}]",
    ],
)
def test_what_the_container_sees_is_not_flagged(tmp_path, block):
    assert _lint(tmp_path, block) == []


def test_a_swarm_spec_mounts_its_configs_so_nothing_is_flagged(tmp_path):
    block = "tmpfs: [/www]\nconfigs: [{source: page_file, target: /www/x, mode: 0440}]"
    assert _lint(tmp_path, block) != []
    assert _lint(tmp_path, block, settings="settings: {orchestrator: swarm}\n") == []


def test_the_innermost_mount_decides_and_a_later_one_wins_a_tie():
    tmpfs = Cover(target="/www", what="the tmpfs /www", hides=True)
    volume = Cover(target="/www/data/", what="the volume at /www/data", hides=False)
    root = Cover(target="/", what="the volume at /", hides=False)
    assert covering("/www/data/x", [tmpfs, volume]) is volume
    assert covering("/www/./x", [volume, tmpfs]) is tmpfs
    assert covering("/elsewhere", [tmpfs, volume]) is None
    assert covering("/elsewhere", [root, tmpfs]) is root
    again = Cover(target="/www", what="the volume at /www", hides=False)
    assert covering("/www/x", [tmpfs, again]) is again
