"""Where each part of the stack is, read from the spec: published ports, credentials, folders.

Services are recognised by their image or command (a Spark master, a worker, AlertManager,
Prometheus, MySQL/MariaDB); a spec can name them explicitly with ``x-role`` on the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.redact import quoted
from validator.spec.load import LoadedSpec
from validator.stack.spark import read_defaults, shared_folders

ROLES = ("spark-master", "spark-worker", "alertmanager", "prometheus", "mysql")


def role_of(name: str, raw: dict[str, Any], image: str, command: list[str]) -> str | None:
    explicit = raw.get("x-role")
    if explicit in ROLES:
        return str(explicit)
    text = " ".join([image, *command]).lower()
    if "deploy.master.master" in text:
        return "spark-master"
    if "deploy.worker.worker" in text:
        return "spark-worker"
    for role in ("alertmanager", "prometheus"):
        if role in image.lower():
            return role
    if "mysql" in image.lower() or "mariadb" in image.lower():
        return "mysql"
    return None


@dataclass
class Endpoints:
    loaded: LoadedSpec

    def services(self, role: str) -> list[str]:
        out = []
        for name, svc in self.loaded.spec.services.items():
            raw = self.loaded.doc.data.get("services", {}).get(name, {})
            if role_of(name, raw if isinstance(raw, dict) else {}, svc.image or "", svc.command or []) == role:
                out.append(name)
        return out

    def service(self, role: str) -> str:
        found = self.services(role)
        if not found:
            raise LookupError(f"the spec has no {role} service (set x-role: {role} on it)")
        return found[0]

    def host_port(self, service: str, container_port: int) -> int:
        for mapping in self.loaded.spec.services[service].ports:
            for binding in mapping.bindings():
                if binding.container_port == container_port and binding.fixed_host_port:
                    return binding.fixed_host_port
        raise LookupError(f"service {quoted(service)} publishes no host port for its port {container_port}")

    def url(self, service: str, container_port: int, path: str = "") -> str:
        return f"http://127.0.0.1:{self.host_port(service, container_port)}{path}"

    def spark_master(self) -> str:
        return f"spark://127.0.0.1:{self.host_port(self.service('spark-master'), 7077)}"

    def spark_ui(self) -> str:
        return self.url(self.service("spark-master"), 8080)

    def alertmanager(self) -> str:
        return self.url(self.service("alertmanager"), 9093)

    def prometheus(self) -> str:
        return self.url(self.service("prometheus"), 9090)

    def mysql(self) -> dict[str, Any]:
        service = self.service("mysql")
        env = self.loaded.spec.services[service].environment
        return {
            "host": "127.0.0.1",
            "port": self.host_port(service, 3306),
            "user": env.get("MYSQL_USER") or "root",
            "password": env.get("MYSQL_PASSWORD") if env.get("MYSQL_USER") else env.get("MYSQL_ROOT_PASSWORD"),
            "database": env.get("MYSQL_DATABASE"),
            "root_password": env.get("MYSQL_ROOT_PASSWORD"),
        }

    def spark_defaults(self) -> Path | None:
        """The spark-defaults.conf the cluster mounts (the configs entry with Spark keys)."""
        for config in self.loaded.spec.config_keys.values():
            if Path(config.path).name == "spark-defaults.conf" or any(k.startswith("spark.") for k in config.keys):
                return self.loaded.base_dir / config.path
        return None

    def delta_tables(self) -> Path:
        """The host folder of Delta tables: the one the Spark services mount at the same absolute path
        (a driver on this host and executors in the containers then name the same files), else the
        one mounted at spark.sql.warehouse.dir, else the delta probe's path."""
        spark = self.services("spark-master") + self.services("spark-worker")
        shared = shared_folders(self.loaded.spec, self.loaded.base_dir, spark) if spark else []
        if shared:
            return shared[0]

        warehouse = read_defaults(self.spark_defaults()).get("spark.sql.warehouse.dir")
        for svc in self.loaded.spec.services.values():
            for mount in svc.volumes:
                if (
                    mount.type == "bind"
                    and mount.source
                    and warehouse
                    and mount.target.rstrip("/") == warehouse.rstrip("/")
                ):
                    return (self.loaded.base_dir / mount.source).resolve()
        for probe in self.loaded.spec.probes.values():
            if getattr(probe, "kind", "") == "delta":
                return (self.loaded.base_dir / str(getattr(probe, "path", ""))).resolve()
        return (self.loaded.base_dir / "data" / "delta-tables").resolve()

    def spark_delta_available(self) -> bool:
        """False when the spec declares its Spark-with-Delta probe as an expected failure."""
        return not any(
            getattr(p, "kind", "") == "spark" and getattr(p, "delta", False) and p.expect == "fail"
            for p in self.loaded.spec.probes.values()
        )
