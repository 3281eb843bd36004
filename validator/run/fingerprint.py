"""What a recorded verdict was judged against: the spec, and the content of the files it points at.

The rule (adversary graph6 case 06): a recorded run is a verdict on the current spec only while
everything that would make ``plan`` see a change is as it was. The spec's text and model
(``LoadedSpec.text_hash``: its files, interpolation, the enabled profiles) are not all of it: the
content of a ``configs``/``secrets`` file, of a read-only bind and of every file copied into a
container is in the desired state's fingerprint of each service (its configuration hash, what
``plan`` compares: "recreate web: mounted file page.html changed"), and so is each ``build``'s
Dockerfile. ``check`` records this fingerprint as the run's spec hash and ``report`` computes it
again: a run recorded under another one is not a verdict on the current spec.

The images (adversary graph7 case 01): a tag moved to another image after a passing check (a pull,
a build, ``docker tag``) is a recreate for ``plan`` as much as an edited file. So ``check``, at its
end, records the fingerprint with the image each service's reference names on its engine then
(``images``), and ``report`` asks the run's engine again: a tag that names another image now, or an
engine that cannot be asked, leaves no verdict on the current spec (exit 1, with why). A spec
without services needs no engine, and has no images in its fingerprint.

Left out on purpose: a build context's other files (a context is often the project folder, the
history database included: every run would change it) and what read-write binds hold (data the
services write, not configuration). The fingerprint is keyed (the label key, engine/labels.py), so
no value of a secret file can be tested against it; a report read on another machine, or after the
key changed, calls every run changed: the safe direction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from validator.engine.content_hash import hash_tree
from validator.engine.desired import DesiredState, desired_state
from validator.spec.load import LoadedSpec

UNKNOWN = "unknown:"  # the prefix of a spec hash recorded when the fingerprint could not be made

# an image reference -> the ID of the image it names on the run's engine (None: no such image there)
ImageLookup = Callable[[str], str | None]


def verdict_inputs(loaded: LoadedSpec, images: ImageLookup | None = None) -> str | None:
    """The fingerprint of what a run of ``loaded`` is judged against, with the image each service's
    reference names when ``images`` is given (a spec with services: see the module's docstring); None
    when it cannot be made (a file the spec points at cannot be read, the engine cannot be asked): no
    recorded run then counts as a verdict on it."""
    try:
        desired = desired_state(loaded, refuse_unsupported=False)
        parts = _parts(desired)
        if images is not None:
            parts += [f"image {ref} {images(ref)}" for ref in sorted({s.image for s in desired.services.values()})]
    except Exception:  # noqa: BLE001 - whatever stops it, no fingerprint: no run counts as a verdict on it
        return None
    digest = hashlib.sha256(loaded.text_hash.encode())
    for part in parts:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()


def recorded(loaded: LoadedSpec, images: ImageLookup | None = None) -> str:
    """The spec hash ``check`` records: the fingerprint, else ``UNKNOWN`` and the text's hash (never
    equal to a fingerprint, so ``report`` never takes that run for a verdict on any spec)."""
    return verdict_inputs(loaded, images) or UNKNOWN + loaded.text_hash


def _parts(desired: DesiredState) -> list[str]:
    """Each service's configuration hash (its config and the content it mounts or is copied), and
    each build's Dockerfile content, in a stable order."""
    out = []
    for name, svc in sorted(desired.services.items()):
        out.append(f"service {name} {svc.config_hash}")
        if svc.build is not None:
            context = Path(svc.build["context"])
            dockerfile = context / (svc.build.get("dockerfile") or "Dockerfile")
            hashed = hash_tree(dockerfile, f"{name} Dockerfile")
            out += [f"build {name} {shown} {value}" for shown, value in sorted(hashed.digests.items())]
    return out
