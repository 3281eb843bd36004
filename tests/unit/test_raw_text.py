"""Text that may hold data is cut and quoted only after it is masked (``validator.redact``).

A cut before the mask leaves a piece of a secret that the redactor no longer recognises once anything
is added after the cut (a quote, `` (after 2 attempts)``); ``repr`` of a larger text escapes a secret
differently from ``repr`` of the secret alone. So the source of ``validator`` is held to two rules,
here, where a new case cannot slip in unnoticed:

- no ``repr(...)`` and no ``!r`` outside ``validator/redact.py``: data is quoted with ``redact.quoted``;
- no slice with a constant bound (``x[:200]``, ``x[-300:]``) but those listed below, each an identifier
  (a hash, a container id), a list of lines or items, or a path of the document: text is cut with
  ``redact.clip`` / ``redact.tail``, which mask first.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import validator

ROOT = Path(validator.__file__).parent

# (file, the sliced expression) -> why it cannot hold a value of the user's
SLICES_ALLOWED = {
    ("checks/pydeps.py", "lines"): "a list of whole lines",
    ("checks/services.py", "detail.get('Id', '?')"): "a container id",
    ("checks/usage.py", "kills"): "a list",
    ("checks/usage.py", "usage.skipped"): "a list of container names",
    ("engine/desired.py", "hashlib.pbkdf2_hmac('sha256', content, salt, SECRET_ROUNDS).hex()"): "a hash",
    ("engine/desired.py", "hashlib.sha256(content).hexdigest()"): "a hash",
    ("engine/content_hash.py", "digest.hexdigest()"): "a hash",
    ("cgroups.py", "hashlib.sha256(project.encode()).hexdigest()"): "a hash (the project's cgroup folder name)",
    ("swarm/desired.py", "hmac.new(key, path.read_bytes(), hashlib.sha256).hexdigest()"): "a keyed hash",
    ("engine/content_hash.py", "rest.hexdigest()"): "a hash",
    ("engine/content_hash.py", "hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()"): "a hash",
    ("engine/planner.py", "sorted(svc.mounted)"): "a list of paths (the first five named)",
    ("engine/holders.py", "str(summary.get('Id', ''))"): "a container id",
    ("lint/delta.py", "re.findall('\\\\d+', version)"): "a list of numbers",
    ("stack/cdc_job.py", "uuid.uuid4().hex"): "a random name",
    ("engine/engine_filled.py", "uuid.uuid4().hex"): "a random name",
    ("stack/maven.py", "[line for line in (result.stdout + result.stderr).splitlines() if 'ERROR' in line]"): (
        "a list of whole lines"
    ),
    ("suites/verdict.py", "modules"): "a list of module names",
    ("suites/verdict.py", "rewritten"): "a list of test ids",
    ("suites/recorder.py", "left_out"): "a list of paths and test ids, each quoted",
    ("engine/docker_api.py", "container"): "a container id",
    ("engine/labels.py", "hmac.new(key, text.encode('utf-8', 'surrogatepass'), hashlib.sha256).hexdigest()"): "a hash",
    ("engine/lock.py", "hashlib.sha256(f'{engine_identity(engine)}\\x00{project}'.encode()).hexdigest()"): "a hash",
    ("engine/observed.py", "summary['Id']"): "a container id",
    ("engine/compose_observe.py", "container_id"): "a container id",
    ("engine/api_version.py", "version.split('.')"): "an API version's numbers",
    ("engine/planner.py", "current.image_id"): "an image id",
    ("engine/planner.py", "image_id"): "an image id",
    ("engine/provenance.py", "path"): "a document path",
    ("engine/readiness.py", "container"): "a container id",
    ("engine/shared_ns.py", "joined_id"): "a container id",
    ("engine/shared_ns.py", "owner.id"): "a container id",
    ("engine/stats.py", "cid"): "a container id",
    ("engine/stats.py", "name"): "a thread's name, never shown",
    ("engine/waiter.py", "lines.splitlines()"): "a list of whole lines",
    ("engine/watch.py", "cid"): "a container id",
    ("formats.py", "raw"): "bytes searched for NUL, never shown",
    ("probes/alertmanager.py", "uuid.uuid4().hex"): "a random id",
    ("probes/alertmanager.py", "receiver.server.server_address"): "an address tuple",
    ("probes/delta.py", "uuid.uuid4().hex"): "a random id",
    ("probes/mysql.py", "uuid.uuid4().hex"): "a random id",
    ("reporters/html.py", "run.spec_hash"): "a hash",
    ("reporters/html.py", "run.git_commit"): "a commit id",
    ("reporters/json_report.py", "sorted(set(bad))"): "a list of names",
    ("reporters/markdown.py", "run.spec_hash"): "a hash",
    ("reporters/markdown.py", "run.git_commit"): "a commit id",
    ("spec/extends.py", "f.path"): "a document path",
    ("spec/extends.py", "where"): "a document path",
    ("load.py", "f.path"): "a document path",
    ("spec/loader.py", "raw"): "bytes searched for NUL, never shown",
    ("spec/loader.py", "f.path"): "a document path",
    ("spec/location.py", "path"): "a document path",
    ("spec/mounts.py", "_CONSISTENCY"): "a constant of ours",
    ("spec/ports.py", "parts"): "a list tested for emptiness",
    ("spec/suites.py", "self.command"): "a list of words",
    ("spec/validate.py", "unique"): "a list of messages",
    ("stack/spark_job.py", "uuid.uuid4().hex"): "a random id",
    ("suites/junit.py", "p"): "the first letter of a module part, tested",
    ("suites/verdict.py", "tail"): "a list of whole lines",
    ("suites/verdict.py", "failing"): "a list of test ids",
    ("swarm/api.py", "service_id"): "a swarm object id",
    ("swarm/api.py", "object_id"): "a swarm object id",
    ("swarm/tasks.py", "failed"): "a list of tasks",
    ("swarm/tasks.py", "n['ID']"): "a node id",
    ("ui.py", "self.recent"): "a list of whole lines",
    ("versions.py", "parts"): "version numbers",
}


def _int(node: ast.expr | None) -> int | None:
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node, sign = node.operand, -1
    return sign * node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _keeps_a_bounded_part(cut: ast.Slice) -> bool:
    """``[:N]``, ``[-N:]``, ``[a:N]``: what is kept is cut to a length, so a secret may be cut through.
    (``[1:]`` or ``[:-2]`` drop a known prefix or suffix of ours, such as a sigil.)"""
    lower, upper = _int(cut.lower), _int(cut.upper)
    return (upper is not None and upper > 0) or (lower is not None and lower < 0 and cut.upper is None)


@functools.cache
def _sources() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(ROOT)), ast.parse(p.read_text(), str(p))) for p in sorted(ROOT.rglob("*.py"))]


def test_no_repr_of_data_outside_the_redactor():
    found = []
    for name, tree in _sources():
        if name == "redact.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FormattedValue) and node.conversion == ord("r"):
                found.append(f"{name}:{node.lineno}: !r")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "repr":
                found.append(f"{name}:{node.lineno}: repr()")
    assert not found, "quote with validator.redact.quoted (masks, then quotes):\n" + "\n".join(found)


def test_text_is_cut_only_after_it_is_masked():
    found = []
    for name, tree in _sources():
        if name == "redact.py":
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)):
                continue
            if not _keeps_a_bounded_part(node.slice):
                continue
            key = (name, ast.unparse(node.value))
            if key not in SLICES_ALLOWED:
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert not found, (
        "cut text with validator.redact.clip / tail (they mask first); an identifier or a list may be "
        "listed in SLICES_ALLOWED with the reason:\n" + "\n".join(found)
    )


def test_every_allowed_slice_is_still_there():
    seen = set()
    for name, tree in _sources():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.slice, ast.Slice)
                and _keeps_a_bounded_part(node.slice)
            ):
                seen.add((name, ast.unparse(node.value)))
    assert not set(SLICES_ALLOWED) - seen, sorted(set(SLICES_ALLOWED) - seen)
