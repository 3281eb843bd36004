"""Containers in the project that stand for no service (adversary graph6 class B and case 05), the pure
parts: which Compose container stands for its service (Compose's ``oneoff=False`` rule), what the
observation calls a stranger (a ``docker compose run`` one-off, a Compose container beside validator's,
a foreign container on a network the project made or in a project container's namespace), and what the
plan and ``check`` say of it. The real engine and Compose's binary: tests/integration/test_adversarial_oneoff6.py."""

from __future__ import annotations

from typing import Any

from tests.harness.specs import base_spec, load_dict
from validator.backends.drift import drift_results
from validator.engine import compose_labels as CL
from validator.engine import labels as L
from validator.engine.desired import desired_state
from validator.engine.observed import observe
from validator.engine.planner import plan

WEB = {"image": "web:1", "command": ["httpd", "-f"]}
NET = "demo_default"


def compose_labels(service: str, oneoff: str | None = "False") -> dict[str, str]:
    labels = {CL.PROJECT: "demo", CL.SERVICE: service, CL.NUMBER: "1"}
    if oneoff is not None:
        labels[CL.ONEOFF] = oneoff
    return labels


def summary(cid: str, name: str, labels: dict[str, str], *, state: str = "running", **extra: Any) -> dict[str, Any]:
    return {"Id": cid, "Names": [f"/{name}"], "Labels": labels, "State": state, "Ports": [], **extra}


class Engine:
    """The engine's list answers for the containers given (filters by one label, as the engine does)."""

    api_version = "1.41"

    def __init__(self, containers: list[dict[str, Any]], networks: list[dict[str, Any]] | None = None) -> None:
        self.listed = containers
        self.nets = networks or []

    @staticmethod
    def _match(labels: dict[str, str], filters: dict[str, list[str]] | None) -> bool:
        for item in (filters or {}).get("label", []):
            key, _, value = item.partition("=")
            if labels.get(key) != value:
                return False
        return True

    def containers(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        return [c for c in self.listed if self._match(c["Labels"], filters)]

    def networks(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        return [n for n in self.nets if self._match(n.get("Labels") or {}, filters)]

    def volumes(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        return []

    def inspect_image(self, image: str) -> dict[str, Any]:
        return {"Id": "sha256:" + "a" * 64}

    def try_inspect(self, cid: str) -> None:
        return None  # gone since the list: nothing to compare (observed.live_drift)

    def inspect(self, cid: str) -> dict[str, Any]:
        return {"Image": "sha256:" + "a" * 64, "Config": {}, "HostConfig": {}}

    # the engine's fill of unset keys is read from a probe container (engine/engine_filled.py)
    def create_container(self, name: str, body: dict[str, Any]) -> str:
        return "p" * 64

    def remove_container(self, cid: str, **_: Any) -> None:
        return None


def desired(tmp_path: Any, **services: dict[str, Any]) -> Any:
    return desired_state(load_dict(tmp_path, base_spec(**services)), {})


def test_only_a_service_container_stands_for_its_service_as_compose_selects_them() -> None:
    assert CL.service_container(compose_labels("web"))
    assert not CL.service_container(compose_labels("web", "True"))
    assert not CL.service_container(compose_labels("web", None))  # Compose's filter needs oneoff=False
    assert CL.service_of(compose_labels("web")) == "web"
    assert CL.service_of(compose_labels("web", "True")) == ""
    # validator's own label wins (it writes Compose's labels too)
    assert CL.service_of({L.SERVICE: "db", **compose_labels("web", "True")}) == "db"


def test_a_compose_run_one_off_is_no_service_container_up_creates_the_service_beside_it(tmp_path) -> None:
    """Case 01: the project's only container is a ``docker compose run -d web sleep 600`` one-off. It was
    taken for web (up "unchanged", check PASS); now web has no container (up creates it, as Compose's
    does), the one-off is a stranger: a note in the plan, a failing drift result while it runs."""
    state = desired(tmp_path, web=WEB)
    compose_net = {"Name": NET, "Driver": "bridge", "Labels": {CL.PROJECT: "demo", CL.NETWORK: "default"}}
    one_off = summary(
        "r" * 64,
        "demo-web-run-0a1b2c3d4e5f",
        compose_labels("web", "True"),
        NetworkSettings={"Networks": {NET: {}}},
    )
    observed = observe(Engine([one_off], [compose_net]), state)  # type: ignore[arg-type]
    assert observed.containers == {}
    assert [(s.name, s.what) for s in observed.strangers] == [
        ("demo-web-run-0a1b2c3d4e5f", "a docker compose run one-off of service 'web'")
    ]
    # Compose's network is the project's (a one-off's too): used, not a conflict
    assert NET in observed.networks and observed.foreign_networks == set()
    planned = plan(state, observed)
    assert [(a.kind, a.target) for a in planned.actions if a.kind == "create"] == [("create", "demo-web-1")]
    assert planned.conflicts == ()
    assert any("demo-web-run-0a1b2c3d4e5f" in note and "docker rm -f" in note for note in planned.notes)
    assert [name for name, _, _ in planned.strangers_running] == ["demo-web-run-0a1b2c3d4e5f"]
    results = [r for r in drift_results(load_dict(tmp_path, base_spec(web=WEB)), planned) if r.verdict == "fail"]
    assert [(r.name, r.actual) for r in results if r.name.startswith("container ")] == [
        ("container demo-web-run-0a1b2c3d4e5f", "a docker compose run one-off of service 'web'")
    ]


def test_an_exited_one_off_is_said_but_fails_nothing(tmp_path) -> None:
    state = desired(tmp_path, web=WEB)
    one_off = summary("r" * 64, "demo-web-run-1", compose_labels("web", "True"), state="exited", Status="Exited (0)")
    planned = plan(state, observe(Engine([one_off]), state))  # type: ignore[arg-type]
    assert planned.strangers_running == ()
    assert any("demo-web-run-1" in note and "it is exited" in note for note in planned.notes)


def test_compose_containers_beside_validators_or_of_no_spec_service_are_strangers(tmp_path) -> None:
    """A Compose container of a service validator runs itself (one more answering for its name), or of a
    service the spec lacks, used to be skipped without a word."""
    state = desired(tmp_path, web=WEB)
    ours = summary(
        "v" * 64, "demo-web-1", {L.PROJECT: "demo", L.SERVICE: "web", **compose_labels("web")}, Status="Up 1 second"
    )
    beside = summary("c" * 64, "demo-web-2", compose_labels("web"))
    legacy = summary("l" * 64, "demo-legacy-1", compose_labels("legacy"))
    observed = observe(Engine([ours, beside, legacy]), state)  # type: ignore[arg-type]
    assert [c.name for c in observed.containers["web"]] == ["demo-web-1"]
    assert {s.name: s.what for s in observed.strangers} == {
        "demo-legacy-1": "a container Compose made for service 'legacy', which the spec does not have",
        "demo-web-2": "a container Compose made for service 'web', which validator runs itself",
    }
    assert observed.orphans == []  # validator's --remove-orphans removes only its own


def test_a_foreign_container_on_a_network_the_project_made_is_a_stranger(tmp_path) -> None:
    """Case 05: a container of no project on the project network (alias ``db``: two addresses for db). One
    on an external network the spec shares, or on no project network, is not; one in a project
    container's network namespace is."""
    state = desired(tmp_path, web=WEB)
    net = {"Name": NET, "Driver": "bridge", "Labels": {L.PROJECT: "demo", L.NETWORK: "default"}}
    ours = summary("v" * 64, "demo-web-1", {L.PROJECT: "demo", L.SERVICE: "web"}, Status="Up 1 second")
    impostor = summary("i" * 64, "impostor", {}, NetworkSettings={"Networks": {NET: {}}})
    elsewhere = summary("e" * 64, "elsewhere", {}, NetworkSettings={"Networks": {"bridge": {}}})
    sharer = summary("s" * 64, "sharer", {}, HostConfig={"NetworkMode": "container:" + "v" * 64})
    observed = observe(Engine([ours, impostor, elsewhere, sharer], [net]), state)  # type: ignore[arg-type]
    assert {s.name: s.what for s in observed.strangers} == {
        "impostor": f"a container of no service of the project, on network {NET}",
        "sharer": "a container of no service of the project, on the network namespace of container demo-web-1",
    }
    planned = plan(state, observed)
    # nothing validator may change (the fake's own web is recreated: it carries no config label)
    assert planned.conflicts == () and {a.target for a in planned.actions} == {"demo-web-1"}
    assert sorted(name for name, _, _ in planned.strangers_running) == ["impostor", "sharer"]


def test_a_network_the_spec_declares_external_is_shared_on_purpose(tmp_path) -> None:
    spec = base_spec(web={**WEB, "networks": ["shared"]})
    spec["networks"] = {"shared": {"external": True, "name": "shared-net"}}
    state = desired_state(load_dict(tmp_path, spec), {})
    net = {"Name": "shared-net", "Labels": {L.PROJECT: "demo"}}  # labelled or not, external is shared
    other = summary("o" * 64, "other-stack-app", {}, NetworkSettings={"Networks": {"shared-net": {}}})
    assert observe(Engine([other], [net]), state).strangers == ()  # type: ignore[arg-type]


def test_strangers_now_finds_the_same_from_two_list_calls(tmp_path) -> None:
    """check's look after up (one may have joined during up's walk) classifies as the observation does."""
    from validator.engine.observed import strangers_now

    state = desired(tmp_path, web=WEB)
    net = {"Name": NET, "Driver": "bridge", "Labels": {L.PROJECT: "demo", L.NETWORK: "default"}}
    ours = summary("v" * 64, "demo-web-1", {L.PROJECT: "demo", L.SERVICE: "web", **compose_labels("web")})
    one_off = summary("r" * 64, "demo-web-run-1", compose_labels("web", "True"))
    beside = summary("c" * 64, "demo-web-2", compose_labels("web"))
    impostor = summary("i" * 64, "impostor", {}, NetworkSettings={"Networks": {NET: {}}})
    shared = summary("x" * 64, "shared", {}, NetworkSettings={"Networks": {"shared-net": {}}})
    engine = Engine([ours, one_off, beside, impostor, shared], [net, {"Name": "shared-net", "Labels": {}}])
    now = strangers_now(engine, project="demo", services=list(state.services), external=["shared-net"])  # type: ignore[arg-type]
    assert [(s.name, s.runs) for s in now] == [("demo-web-2", True), ("demo-web-run-1", True), ("impostor", True)]
    observed = observe(engine, state)  # type: ignore[arg-type]
    assert [(s.name, s.what) for s in observed.strangers] == [(s.name, s.what) for s in now]


def test_the_observation_lists_each_kind_of_object_once_and_inspects_each_image_once(tmp_path) -> None:
    """One list of every container serves the project's, Compose's for it and the foreign ones (names,
    ports, strangers); one list of networks and one of volumes; one inspect per image the spec names,
    however many services and Compose containers use it (issue 27: three container lists were made)."""
    calls: list[str] = []

    class Counting(Engine):
        def containers(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
            calls.append(f"containers {filters}")
            return super().containers(filters)

        def networks(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
            calls.append(f"networks {filters}")
            return super().networks(filters)

        def volumes(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
            calls.append(f"volumes {filters}")
            return super().volumes(filters)

        def inspect_image(self, image: str) -> dict[str, Any]:
            calls.append(f"image {image}")
            return super().inspect_image(image)

    state = desired(tmp_path, web=WEB, api=WEB, db={"image": "db:1"}, cache={"image": "db:1"})
    compose_web = summary("c" * 64, "demo-web-1", compose_labels("web"))
    foreign = summary("f" * 64, "demo-api-1", {}, Ports=[])
    observed = observe(Counting([compose_web, foreign]), state)  # type: ignore[arg-type]
    assert sorted(calls) == ["containers None", "image db:1", "image web:1", "networks None", "volumes None"]
    assert [c.owner for c in observed.containers["web"]] == ["compose"]  # found in that one list
    assert "demo-api-1" in observed.foreign_names  # and so was the name holder
