"""The keys the Compose Specification defines, by place: what tells "not supported yet" from "unknown".

A key that Compose defines but the model does not hold yet is valid Compose: calling it unknown
(and offering a look-alike key) would mislead. Such a key is still refused, with a message that
says what it is. Lists follow the Compose Specification's JSON schema (compose-spec, 2025).
"""

from __future__ import annotations

from validator.spec.location import Path

TOP = frozenset({"version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models"})
SERVICE = frozenset(
    [
        "annotations",
        "attach",
        "blkio_config",
        "build",
        "cap_add",
        "cap_drop",
        "cgroup",
        "cgroup_parent",
        "command",
        "configs",
        "container_name",
        "cpu_count",
        "cpu_percent",
        "cpu_shares",
        "cpu_quota",
        "cpu_period",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "cpus",
        "cpuset",
        "credential_spec",
        "depends_on",
        "deploy",
        "develop",
        "device_cgroup_rules",
        "devices",
        "dns",
        "dns_opt",
        "dns_search",
        "domainname",
        "entrypoint",
        "env_file",
        "environment",
        "expose",
        "extends",
        "external_links",
        "extra_hosts",
        "gpus",
        "group_add",
        "healthcheck",
        "hostname",
        "image",
        "init",
        "ipc",
        "isolation",
        "labels",
        "label_file",
        "links",
        "logging",
        "mac_address",
        "mem_limit",
        "mem_reservation",
        "mem_swappiness",
        "memswap_limit",
        "models",
        "network_mode",
        "networks",
        "oom_kill_disable",
        "oom_score_adj",
        "pid",
        "pids_limit",
        "platform",
        "ports",
        "post_start",
        "pre_stop",
        "privileged",
        "profiles",
        "provider",
        "pull_policy",
        "pull_refresh_after",
        "read_only",
        "restart",
        "runtime",
        "scale",
        "secrets",
        "security_opt",
        "shm_size",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "storage_opt",
        "sysctls",
        "tmpfs",
        "tty",
        "ulimits",
        "use_api_socket",
        "user",
        "userns_mode",
        "uts",
        "volumes",
        "volumes_from",
        "working_dir",
    ]
)
BUILD = frozenset(
    [
        "context",
        "dockerfile",
        "dockerfile_inline",
        "entitlements",
        "args",
        "ssh",
        "labels",
        "cache_from",
        "cache_to",
        "no_cache",
        "additional_contexts",
        "network",
        "provenance",
        "sbom",
        "pull",
        "target",
        "shm_size",
        "extra_hosts",
        "isolation",
        "privileged",
        "secrets",
        "tags",
        "ulimits",
        "platforms",
    ]
)
DEPLOY = frozenset(
    [
        "mode",
        "endpoint_mode",
        "replicas",
        "labels",
        "rollback_config",
        "update_config",
        "resources",
        "restart_policy",
        "placement",
    ]
)
HEALTHCHECK = frozenset(["disable", "interval", "retries", "test", "timeout", "start_period", "start_interval"])
LOGGING = frozenset({"driver", "options"})
NETWORK = frozenset(
    [
        "name",
        "driver",
        "driver_opts",
        "ipam",
        "external",
        "internal",
        "enable_ipv4",
        "enable_ipv6",
        "attachable",
        "labels",
    ]
)
VOLUME = frozenset(["name", "driver", "driver_opts", "external", "labels"])
SECRET = frozenset(["name", "environment", "file", "external", "labels", "driver", "driver_opts", "template_driver"])
CONFIG = frozenset(["name", "content", "environment", "file", "external", "labels", "template_driver"])

_SERVICE_PARTS = {"build": BUILD, "deploy": DEPLOY, "healthcheck": HEALTHCHECK, "logging": LOGGING}
_RESOURCES = {"networks": NETWORK, "volumes": VOLUME, "secrets": SECRET, "configs": CONFIG}


def keys_at(parent: Path) -> frozenset[str]:
    """The keys Compose defines in the mapping at ``parent`` (empty where Compose defines nothing)."""
    if not parent:
        return TOP
    if parent[0] == "services" and len(parent) == 2:
        return SERVICE
    if parent[0] == "services" and len(parent) == 3:
        return _SERVICE_PARTS.get(str(parent[2]), frozenset())
    if len(parent) == 2:
        return _RESOURCES.get(str(parent[0]), frozenset())
    return frozenset()


def is_compose_key(path: Path) -> bool:
    """Whether the key at the end of ``path`` is one Compose defines at that place."""
    return bool(path) and str(path[-1]) in keys_at(path[:-1])
