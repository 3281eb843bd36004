"""A key Compose defines but the model does not hold yet is "not supported yet", never "unknown"."""

from __future__ import annotations

from validator.spec.compose_keys import SERVICE, is_compose_key, keys_at
from validator.spec.model import Spec
from validator.spec.service import Service


def test_places():
    assert is_compose_key(("services", "web", "expose"))
    assert is_compose_key(("networks", "n", "ipam"))
    assert is_compose_key(("services", "web", "deploy", "replicas"))
    assert not is_compose_key(("services", "web", "deploy", "resources", "limits", "x"))  # deeper than the table
    assert is_compose_key(("services", "web", "build", "ssh"))
    assert is_compose_key(("secrets",))
    assert not is_compose_key(("services", "web", "imagee"))
    assert not is_compose_key(("probes", "p", "expose"))
    assert keys_at(("probes", "p")) == frozenset()


def test_every_service_field_of_the_model_is_a_compose_key():
    """The service model keeps Compose's names: a field outside Compose's list is a spelling of our own."""
    ours = {field.alias or name for name, field in Service.model_fields.items()}
    assert ours - SERVICE <= {"health_timeout", "startup_timeout", "restart_grace"}, ours - SERVICE


def test_lint_messages(tmp_path, monkeypatch):
    from validator.load import lint_files
    from validator.spec import compose_keys

    # every key Compose defines today is modelled (top-level `models` too); a key it adds later is
    # "not supported yet", never "unknown"
    monkeypatch.setattr(compose_keys, "TOP", compose_keys.TOP | {"future_key"})
    path = tmp_path / "compose.yaml"
    path.write_text("future_key: {}\nmodels: {}\nservices:\n  web:\n    image: busybox\n    ulimit: {}\n")
    messages = [f.message for f in lint_files([str(path)], {})]
    assert "unknown key 'ulimit' (did you mean 'ulimits'?)" in messages
    assert "future_key" not in Spec.model_fields and "models" in Spec.model_fields
    assert "Compose key 'future_key' is not supported yet" in messages
    assert not any("models" in m for m in messages)
