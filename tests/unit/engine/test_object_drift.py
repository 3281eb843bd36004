"""A network's or volume's record against the spec, compared in full (adversary graph6 case 08)."""

from __future__ import annotations

from validator.engine.desired import DesiredNetwork, DesiredVolume
from validator.engine.object_drift import network_drift, volume_drift

# what engine 20.10 lists for a volume / a bridge network created without options (validator's and Compose's)
PLAIN_VOLUME = {"Name": "p_data", "Driver": "local", "Options": None}
PLAIN_NETWORK = {
    "Name": "p_back",
    "Driver": "bridge",
    "Options": {},
    "Internal": False,
    "Attachable": False,
    "EnableIPv6": False,
    "IPAM": {"Driver": "default", "Options": None, "Config": [{"Subnet": "172.25.0.0/16", "Gateway": "172.25.0.1"}]},
}


def test_objects_made_as_the_spec_asks_have_no_drift():
    assert volume_drift(DesiredVolume(key="data", name="p_data"), PLAIN_VOLUME) == []
    assert network_drift(DesiredNetwork(key="back", name="p_back"), PLAIN_NETWORK) == []
    tmpfs = {**PLAIN_VOLUME, "Options": {"type": "tmpfs", "device": "tmpfs"}}
    assert (
        volume_drift(DesiredVolume(key="data", name="p_data", options={"type": "tmpfs", "device": "tmpfs"}), tmpfs)
        == []
    )


def test_an_option_the_spec_no_longer_sets_is_drift():
    """v1 made a tmpfs volume; v2 asks for a plain one: keeping the tmpfs one would lose data on a restart."""
    tmpfs = {**PLAIN_VOLUME, "Options": {"type": "tmpfs", "device": "tmpfs", "o": "password=s3cret"}}
    assert volume_drift(DesiredVolume(key="data", name="p_data"), tmpfs) == [
        "driver_opts.device: set, the spec does not set it",
        "driver_opts.o: set, the spec does not set it",
        "driver_opts.type: set, the spec does not set it",
    ]  # named, values never shown
    opted = {**PLAIN_NETWORK, "Options": {"com.docker.network.bridge.enable_icc": "false"}}
    assert network_drift(DesiredNetwork(key="back", name="p_back"), opted) == [
        "driver_opts.com.docker.network.bridge.enable_icc: set, the spec does not set it"
    ]


def test_a_driver_the_spec_no_longer_names_is_drift():
    macvlan = {**PLAIN_NETWORK, "Driver": "macvlan"}
    assert network_drift(DesiredNetwork(key="back", name="p_back"), macvlan) == ["driver: macvlan -> bridge"]
    other_ipam = {**PLAIN_NETWORK, "IPAM": {**PLAIN_NETWORK["IPAM"], "Driver": "custom", "Options": {"x": "1"}}}
    assert network_drift(DesiredNetwork(key="back", name="p_back"), other_ipam) == [
        "ipam.driver: custom -> default",
        "ipam.options.x: set, the spec does not set it",
    ]


def test_what_the_engine_writes_itself_is_not_drift():
    overlay = {
        **PLAIN_NETWORK,
        "Driver": "overlay",
        "Options": {"com.docker.network.driver.overlay.vxlanid_list": "4097"},
    }
    assert network_drift(DesiredNetwork(key="back", name="p_back", driver="overlay"), overlay) == []
