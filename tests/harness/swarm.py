"""A throw-away multi-node Docker Swarm on one machine: one ``dockerd`` per network namespace.

Privileged containers are refused on this machine kind, so Docker-in-Docker cannot give several
engines. What works (``../shared/notes/machine.md``): per node a network namespace, a veth pair
with one end on a host bridge, and a ``dockerd`` started inside the namespace with ``nsenter``
(``ip netns exec`` remounts /sys and the daemon then fails to find the devices cgroup). Every name
the harness creates starts with ``vsw`` plus a random tag, so two harnesses (or a leftover one)
never collide, and teardown removes exactly what this harness made, in reverse order.

Used by the swarm tests (``tests/integration/test_swarm*.py``), ``bench/swarm.py`` and
``scripts/swarm-nodes``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.redact import quoted

PREFIX = "vsw"
STATE_ROOT = Path("/run/vsw")  # short: unix socket paths must stay under 108 bytes
DATA_ROOT = Path("/var/lib/vsw")
# A private /16 that only these namespaces use; each harness takes one /24 of it (by its tag) so
# two harnesses on one machine do not share addresses.
SUBNET_PREFIX = "10.213"
DAEMON_START_TIMEOUT = 40.0
JOIN_TIMEOUT = 60.0


class SwarmHarnessError(RuntimeError):
    """The harness could not build (or tear down) its nodes; the message says which step."""


@dataclass(frozen=True)
class Node:
    """One engine of the harness: its namespace, address on the bridge and API socket."""

    name: str
    netns: str
    address: str
    host_veth: str
    exec_root: Path
    data_root: Path

    @property
    def socket(self) -> Path:
        return self.exec_root / "docker.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def pidfile(self) -> Path:
        return self.exec_root / "docker.pid"

    @property
    def log(self) -> Path:
        return self.exec_root / "dockerd.log"


@dataclass
class SwarmNodes:
    """``count`` engines on one bridge: node 0 is the manager, the others join as workers.

    ``start()`` builds everything (undoing what it built if a step fails), ``stop()`` tears down in
    reverse; both are bounded. Use as a context manager."""

    count: int = 3
    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    say: Callable[[str], None] = lambda _message: None
    nodes: list[Node] = field(default_factory=list)
    _undo: list[tuple[str, Callable[[], None]]] = field(default_factory=list)

    # --- names ----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return f"{PREFIX}{self.tag}"

    @property
    def bridge(self) -> str:
        return f"{self.name}br"

    @property
    def third_octet(self) -> int:
        # 2..253 from the tag: a stable /24 per harness.
        return 2 + int(self.tag, 16) % 252

    @property
    def gateway(self) -> str:
        return f"{SUBNET_PREFIX}.{self.third_octet}.1"

    @property
    def state_dir(self) -> Path:
        return STATE_ROOT / self.tag

    def make_nodes(self) -> list[Node]:
        return [
            Node(
                name=f"{self.name}n{i}",
                netns=f"{self.name}n{i}",
                address=f"{SUBNET_PREFIX}.{self.third_octet}.{10 + i}",
                host_veth=f"{self.name}h{i}",
                exec_root=STATE_ROOT / self.tag / f"n{i}",
                data_root=DATA_ROOT / self.tag / f"n{i}",
            )
            for i in range(self.count)
        ]

    @property
    def manager(self) -> Node:
        return self.nodes[0]

    @property
    def workers(self) -> list[Node]:
        return self.nodes[1:]

    # --- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> SwarmNodes:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, swarm: bool = True) -> None:
        if len(self.tag) != 4 or any(c not in "0123456789abcdef" for c in self.tag):
            raise SwarmHarnessError(f"harness tag must be 4 hex digits, not {quoted(self.tag)}")
        if not 1 <= self.count <= 9:
            raise SwarmHarnessError("a harness has 1 to 9 nodes")
        self.nodes = self.make_nodes()
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self._undo.append((f"remove {self.state_dir}", lambda: _rmtree(self.state_dir)))
            self._network()
            for node in self.nodes:
                self._daemon(node)
            for node in self.nodes:
                self._wait_daemon(node)
            if swarm:
                self._form_swarm()
            self._write_state()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> list[str]:
        """Undo every step in reverse; keep going past failures and return them."""
        problems: list[str] = []
        while self._undo:
            what, undo = self._undo.pop()
            try:
                undo()
            except Exception as exc:  # noqa: BLE001 - teardown must finish; failures are reported
                problems.append(f"{what}: {exc}")
        for problem in problems:
            self.say(f"teardown: {problem}")
        return problems

    # --- steps ----------------------------------------------------------------------------------
    def _network(self) -> None:
        run(["ip", "link", "add", self.bridge, "type", "bridge"])
        self._undo.append((f"delete bridge {self.bridge}", lambda: run(["ip", "link", "del", self.bridge])))
        run(["ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge])
        run(["ip", "link", "set", self.bridge, "up"])
        # The host engine's firewall sets FORWARD to DROP: without this, traffic between the
        # namespaces (which crosses the host bridge) is dropped and ``swarm join`` times out.
        rule = ["FORWARD", "-i", self.bridge, "-o", self.bridge, "-j", "ACCEPT"]
        run(["iptables", "-I", *rule])
        self._undo.append((f"delete FORWARD rule on {self.bridge}", lambda: run(["iptables", "-D", *rule])))
        for node in self.nodes:
            self._node_network(node)

    def _node_network(self, node: Node) -> None:
        inner = f"{node.host_veth[:-2]}c{node.host_veth[-1]}"
        run(["ip", "netns", "add", node.netns])
        self._undo.append((f"delete namespace {node.netns}", lambda: run(["ip", "netns", "del", node.netns])))
        run(["ip", "link", "add", node.host_veth, "type", "veth", "peer", "name", inner])
        # Deleting the namespace deletes its end of the pair, and with it the host end; this undo
        # covers a failure before the move.
        self._undo.append((f"delete veth {node.host_veth}", lambda: _quiet(["ip", "link", "del", node.host_veth])))
        run(["ip", "link", "set", node.host_veth, "master", self.bridge])
        run(["ip", "link", "set", node.host_veth, "up"])
        run(["ip", "link", "set", inner, "netns", node.netns])
        ns = ["ip", "-n", node.netns]
        run([*ns, "link", "set", inner, "name", "eth0"])
        run([*ns, "addr", "add", f"{node.address}/24", "dev", "eth0"])
        run([*ns, "link", "set", "eth0", "up"])
        run([*ns, "link", "set", "lo", "up"])
        # No default route on purpose: the nodes talk only to each other on the bridge, so a
        # registry pull or DNS lookup by a node fails at once instead of reaching any other address.

    def _daemon(self, node: Node) -> None:
        node.exec_root.mkdir(parents=True, exist_ok=True)
        node.data_root.mkdir(parents=True, exist_ok=True)
        self._undo.append((f"remove {node.data_root}", lambda: _rmtree(node.data_root)))
        self._undo.append((f"remove {node.exec_root}", lambda: _rmtree(node.exec_root)))
        command = [
            # Its own UTS namespace too, so each node has its own hostname (task placement and
            # the node column of the metrics would otherwise show the machine's name three times).
            "unshare",
            "--uts",
            "sh",
            "-c",
            'hostname "$0" && exec "$@"',
            node.name,
            "nsenter",
            f"--net=/var/run/netns/{node.netns}",
            "dockerd",
            "--data-root",
            str(node.data_root),
            "--exec-root",
            str(node.exec_root / "exec"),
            "-H",
            node.url,
            "--pidfile",
            str(node.pidfile),
            # Separate containerd namespaces and cgroup parent: the node's containers must never
            # be confused with the host engine's or another node's.
            "--containerd-namespace",
            node.name,
            "--containerd-plugins-namespace",
            f"{node.name}p",
            "--cgroup-parent",
            node.name,
            "--iptables=true",
        ]
        with node.log.open("ab") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        self._undo.append((f"stop dockerd of {node.name}", lambda: _stop_process(process, node)))

    def _wait_daemon(self, node: Node) -> None:
        deadline = time.monotonic() + DAEMON_START_TIMEOUT
        while time.monotonic() < deadline:
            if node.socket.exists():
                with contextlib.suppress(Exception):
                    if client(node).ping():
                        return
            time.sleep(0.2)
        tail = node.log.read_text(errors="replace").splitlines()[-5:] if node.log.exists() else []
        raise SwarmHarnessError(
            f"dockerd of {node.name} did not answer within {DAEMON_START_TIMEOUT:g}s: " + " | ".join(tail)
        )

    def _form_swarm(self) -> None:
        manager = client(self.manager)
        manager.init_swarm(advertise_addr=self.manager.address, listen_addr=f"{self.manager.address}:2377")
        token = manager.inspect_swarm()["JoinTokens"]["Worker"]
        for node in self.workers:
            client(node).join_swarm(
                [f"{self.manager.address}:2377"],
                token,
                listen_addr=f"{node.address}:2377",
                advertise_addr=node.address,
            )
        deadline = time.monotonic() + JOIN_TIMEOUT
        while time.monotonic() < deadline:
            ready = [n for n in manager.nodes() if n["Status"]["State"] == "ready"]
            if len(ready) == self.count:
                return
            time.sleep(0.3)
        raise SwarmHarnessError(f"only {len(ready)} of {self.count} nodes ready after {JOIN_TIMEOUT:g}s")

    def _write_state(self) -> None:
        state = {"tag": self.tag, "count": self.count, "nodes": [{"name": n.name, "url": n.url} for n in self.nodes]}
        (self.state_dir / "state.json").write_text(json.dumps(state, indent=2))

    # --- helpers for tests ----------------------------------------------------------------------
    def node_id(self, node: Node) -> str:
        return str(client(node).info()["Swarm"]["NodeID"])

    def update_node(self, node: Node, *, labels: dict[str, str] | None = None, availability: str | None = None) -> None:
        """Set node labels and/or availability (``active``, ``pause``, ``drain``) through the manager."""
        manager = client(self.manager)
        spec = manager.inspect_node(self.node_id(node))
        body = dict(spec["Spec"])
        if labels is not None:
            body["Labels"] = {**(body.get("Labels") or {}), **labels}
        if availability is not None:
            body["Availability"] = availability
        manager.update_node(spec["ID"], spec["Version"]["Index"], body)

    def load_image(self, ref: str, nodes: list[Node] | None = None) -> None:
        """Copy a local image of the host engine into the nodes (no registry is reachable here)."""
        import docker

        data = b"".join(docker.APIClient(version="auto").get_image(ref))
        for node in nodes or self.nodes:
            list(client(node).load_image(data))


@contextlib.contextmanager
def swarm_nodes(count: int = 3, say: Callable[[str], None] | None = None) -> Iterator[SwarmNodes]:
    nodes = SwarmNodes(count=count, say=say or (lambda _m: None))
    with nodes:
        yield nodes


def client(node: Node, timeout: float = 30.0) -> Any:
    import docker

    return docker.APIClient(base_url=node.url, version="auto", timeout=timeout)


def available() -> str | None:
    """Why the harness cannot run here (None when it can): root, ip, iptables, nsenter, dockerd."""
    if os.geteuid() != 0:
        return "the swarm harness needs root (network namespaces, a bridge, iptables)"
    for tool in ("ip", "iptables", "nsenter", "dockerd"):
        if shutil.which(tool) is None:
            return f"the swarm harness needs {tool}"
    return None


def teardown_tag(tag: str, say: Callable[[str], None] = print) -> list[str]:
    """Remove what a harness with this tag left behind (after a crash): daemons, namespaces,
    the bridge, its firewall rule and its folders. Only ``vsw<tag>`` names are touched."""
    harness = SwarmNodes(count=_count_from_state(tag), tag=tag, say=say)
    harness.nodes = harness.make_nodes()
    problems: list[str] = []
    for node in harness.nodes:
        if node.pidfile.exists():
            with contextlib.suppress(ValueError, ProcessLookupError):
                _stop_pid(int(node.pidfile.read_text().strip()))
        if Path(f"/var/run/netns/{node.netns}").exists():
            problems += _collect(["ip", "netns", "del", node.netns])
    rule = ["FORWARD", "-i", harness.bridge, "-o", harness.bridge, "-j", "ACCEPT"]
    while subprocess.run(["iptables", "-C", *rule], capture_output=True).returncode == 0:
        problems += _collect(["iptables", "-D", *rule])
    if Path(f"/sys/class/net/{harness.bridge}").exists():
        problems += _collect(["ip", "link", "del", harness.bridge])
    for folder in (STATE_ROOT / tag, DATA_ROOT / tag):
        _rmtree(folder)
    for problem in problems:
        say(f"teardown: {problem}")
    return problems


def leftover_tags() -> list[str]:
    return sorted(p.name for p in STATE_ROOT.iterdir()) if STATE_ROOT.is_dir() else []


# --- small process helpers ------------------------------------------------------------------------
def run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise SwarmHarnessError(f"{' '.join(command)}: {result.stderr.strip() or result.returncode}")


def _quiet(command: list[str]) -> None:
    subprocess.run(command, capture_output=True, timeout=30)


def _collect(command: list[str]) -> list[str]:
    try:
        run(command)
    except SwarmHarnessError as exc:
        return [str(exc)]
    return []


def _stop_process(process: subprocess.Popen[bytes], node: Node) -> None:
    # Leave the swarm first: a node that just disappears stays "down" in the manager's list,
    # which does not matter for a throw-away swarm, but leaving lets dockerd stop cleanly.
    with contextlib.suppress(Exception):
        client(node, timeout=10).leave_swarm(force=True)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    # dockerd's own containerd child lives in the same session; make sure it went with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, 9)


def _stop_pid(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 15)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs. A zombie does not: it has exited and waits for its parent to reap it,
    which a daemon whose parent is still this process (a harness torn down by tag in the process that
    built it, as the tests do) stays until that parent exits; ``kill(pid, 0)`` alone would wait out the
    whole 20 s for each such daemon."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"  # the state follows the command name in parentheses


def _rmtree(path: Path) -> None:
    if not path.exists():
        return
    # Overlay mounts of a stopped daemon are gone; anything still mounted below is unmounted first
    # so rmtree never descends into a live mount.
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(str(path) + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True, timeout=30)
    shutil.rmtree(path, ignore_errors=True)
    parent = path.parent
    with contextlib.suppress(OSError):
        if parent != STATE_ROOT and parent != DATA_ROOT:
            parent.rmdir()


def _count_from_state(tag: str) -> int:
    state = STATE_ROOT / tag / "state.json"
    with contextlib.suppress(OSError, ValueError, KeyError):
        return int(json.loads(state.read_text())["count"])
    return 9


def main(argv: list[str] | None = None) -> int:
    """``scripts/swarm-nodes up [--nodes N]`` (prints each node's DOCKER_HOST and keeps running
    until interrupted, then tears down) or ``down [TAG...]`` (removes leftovers of crashed runs)."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(prog="swarm-nodes", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up")
    up.add_argument("--nodes", type=int, default=3)
    up.add_argument("--image", action="append", default=[], help="local image to copy into every node")
    down = sub.add_parser("down")
    down.add_argument("tags", nargs="*", help="harness tags (default: every leftover under /run/vsw)")
    args = parser.parse_args(argv)
    reason = available()
    if reason:
        print(f"swarm-nodes: {reason}")
        return 2
    if args.command == "down":
        problems = [p for tag in (args.tags or leftover_tags()) for p in teardown_tag(tag)]
        return 1 if problems else 0
    with swarm_nodes(args.nodes, say=print) as harness:
        for image in args.image:
            harness.load_image(image)
        for node in harness.nodes:
            role = "manager" if node is harness.manager else "worker"
            print(f"{node.name} {role} {node.address} DOCKER_HOST={node.url}", flush=True)
        print(f"tag {harness.tag}: Ctrl-C (or SIGTERM) tears the swarm down", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
