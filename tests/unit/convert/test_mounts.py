"""convert.mounts: service volumes -> mounts. Cases from docker/cli cli/compose/convert/volume_test.go
(v28.2.2) are marked."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.errors import ConvertError
from composeswarm.convert.mounts import convert_mount, convert_mounts
from composeswarm.dockerrules.stacknames import Namespace

NS = Namespace("foo")
STACK = {"com.docker.stack.namespace": "foo"}
VOLUMES: dict[str, Any] = {
    "normal": {"driver": "glusterfs", "driver_opts": {"opt": "value"}, "labels": {"something": "labeled"}},
    "named": {"name": "user_specified_name", "driver": "vsphere"},
    "outside": {"external": True, "name": "special"},
    "plain": {},
    "oldstyle": {"external": {"name": "legacy"}},
    "bare": {"external": True},
}


@pytest.mark.parametrize(
    ("vol", "expected"),
    [
        pytest.param({"type": "volume", "target": "/foo/bar"}, {"Type": "volume", "Target": "/foo/bar"},
                     id="docker: anonymous volume"),
        pytest.param(
            {"type": "volume", "source": "normal", "target": "/foo", "read_only": True},
            {"Type": "volume", "Source": "foo_normal", "Target": "/foo", "ReadOnly": True,
             "VolumeOptions": {"Labels": {"com.docker.stack.namespace": "foo", "something": "labeled"},
                               "DriverConfig": {"Name": "glusterfs", "Options": {"opt": "value"}}}},
            id="docker: named volume",
        ),
        pytest.param(
            {"type": "volume", "source": "named", "target": "/foo"},
            {"Type": "volume", "Source": "user_specified_name", "Target": "/foo",
             "VolumeOptions": {"Labels": STACK, "DriverConfig": {"Name": "vsphere"}}},
            id="docker: named volume with name customized",
        ),
        pytest.param(
            {"type": "volume", "source": "outside", "target": "/foo"},
            {"Type": "volume", "Source": "special", "Target": "/foo", "VolumeOptions": {}},
            id="docker: external volume, no labels",
        ),
        pytest.param(
            {"type": "volume", "source": "outside", "target": "/foo", "volume": {"nocopy": True}},
            {"Type": "volume", "Source": "special", "Target": "/foo", "VolumeOptions": {"NoCopy": True}},
            id="docker: external volume nocopy",
        ),
        pytest.param(
            {"type": "volume", "source": "oldstyle", "target": "/foo"},
            {"Type": "volume", "Source": "legacy", "Target": "/foo", "VolumeOptions": {}},
            id="old external name form",
        ),
        pytest.param(
            {"type": "volume", "source": "bare", "target": "/foo"},
            {"Type": "volume", "Source": "bare", "Target": "/foo", "VolumeOptions": {}},
            id="external without name: the key, unscoped",
        ),
        pytest.param(
            {"type": "volume", "source": "plain", "target": "/data"},
            {"Type": "volume", "Source": "foo_plain", "Target": "/data", "VolumeOptions": {"Labels": STACK}},
            id="plain named volume: labels only",
        ),
        pytest.param(
            {"type": "bind", "source": "/foo/bar", "target": "/baz", "read_only": True, "bind": {"propagation": "shared"}},
            {"Type": "bind", "Source": "/foo/bar", "Target": "/baz", "ReadOnly": True, "BindOptions": {"Propagation": "shared"}},
            id="docker: bind with propagation",
        ),
        pytest.param(
            {"type": "bind", "source": "/opt", "target": "/opt", "consistency": "cached"},
            {"Type": "bind", "Source": "/opt", "Target": "/opt", "Consistency": "cached"},
            id="bind with consistency",
        ),
        pytest.param(
            {"type": "tmpfs", "target": "/foo/bar", "tmpfs": {"size": 1000}},
            {"Type": "tmpfs", "Target": "/foo/bar", "TmpfsOptions": {"SizeBytes": 1000}},
            id="docker: tmpfs with size",
        ),
        pytest.param({"type": "tmpfs", "target": "/run"}, {"Type": "tmpfs", "Target": "/run"}, id="tmpfs without options"),
        pytest.param(
            {"type": "npipe", "source": r"\\.\pipe\foo", "target": r"\\.\pipe\foo", "bind": {"propagation": "shared"}},
            {"Type": "npipe", "Source": r"\\.\pipe\foo", "Target": r"\\.\pipe\foo", "BindOptions": {"Propagation": "shared"}},
            id="docker: npipe bind options",
        ),
        pytest.param(
            {"type": "cluster", "source": "group:mygroup", "target": "/srv"},
            {"Type": "cluster", "Source": "group:mygroup", "Target": "/srv", "ClusterOptions": {}},
            id="docker: cluster group source kept",
        ),
        pytest.param(
            {"type": "cluster", "source": "named", "target": "/srv"},
            {"Type": "cluster", "Source": "user_specified_name", "Target": "/srv", "ClusterOptions": {}},
            id="docker: cluster volume by name",
        ),
        pytest.param(
            {"type": "image", "source": "busybox", "target": "/img", "image": {"subpath": "bin"}},
            {"Type": "image", "Source": "busybox", "Target": "/img", "ImageOptions": {"Subpath": "bin"}},
            id="image mount (CLI 28 knows the type)",
        ),
        pytest.param(
            {"type": "cluster", "source": "plain", "target": "/srv"},
            {"Type": "cluster", "Source": "foo_plain", "Target": "/srv", "ClusterOptions": {}},
            id="cluster volume namespaced",
        ),
    ],
)
def test_convert_mount(vol: dict[str, Any], expected: dict[str, Any]) -> None:
    assert convert_mount(vol, VOLUMES, NS) == expected


@pytest.mark.parametrize(
    ("vol", "path", "message"),
    [
        pytest.param({"type": "volume", "source": "unknown", "target": "/foo"}, ("source",), 'undefined volume "unknown"',
                     id="docker: volume does not exist"),
        pytest.param({"type": "fake", "target": "/foo"}, ("type",), "volume type must be volume, bind, tmpfs, npipe, or cluster",
                     id="docker: unapproved type"),
        pytest.param({"type": "bind", "target": "/foo"}, ("source",), "invalid bind source, source cannot be empty",
                     id="docker: anonymous bind"),
        pytest.param({"type": "npipe", "target": "/foo"}, ("source",), "invalid npipe source, source cannot be empty",
                     id="docker: anonymous npipe"),
        pytest.param({"type": "cluster", "target": "/foo"}, ("source",), "invalid cluster source, source cannot be empty",
                     id="docker: anonymous cluster"),
        pytest.param({"type": "tmpfs", "source": "/src", "target": "/foo"}, ("source",),
                     "invalid tmpfs source, source must be empty", id="docker: tmpfs with source"),
        pytest.param({"type": "volume", "target": "/foo", "bind": {"propagation": "slave"}}, ("bind",),
                     "bind options are incompatible with type volume", id="docker: bind options in volume"),
        pytest.param({"type": "volume", "target": "/foo", "tmpfs": {"size": 1000}}, ("tmpfs",),
                     "tmpfs options are incompatible with type volume", id="docker: tmpfs options in volume"),
        pytest.param({"type": "volume", "target": "/foo", "cluster": {}}, ("cluster",),
                     "cluster options are incompatible with type volume", id="docker: cluster options in volume"),
        pytest.param({"type": "bind", "source": "/a", "target": "/foo", "volume": {"nocopy": True}}, ("volume",),
                     "volume options are incompatible with type bind", id="docker: volume options in bind"),
        pytest.param({"type": "bind", "source": "/a", "target": "/foo", "tmpfs": {"size": 1}}, ("tmpfs",),
                     "tmpfs options are incompatible with type bind", id="docker: tmpfs options in bind"),
        pytest.param({"type": "bind", "source": "/a", "target": "/foo", "cluster": {}}, ("cluster",),
                     "cluster options are incompatible with type bind", id="docker: cluster options in bind"),
        pytest.param({"type": "tmpfs", "target": "/foo", "bind": {"propagation": "slave"}}, ("bind",),
                     "bind options are incompatible with type tmpfs", id="docker: bind options in tmpfs"),
        pytest.param({"type": "tmpfs", "target": "/foo", "volume": {"nocopy": True}}, ("volume",),
                     "volume options are incompatible with type tmpfs", id="docker: volume options in tmpfs"),
        pytest.param({"type": "tmpfs", "target": "/foo", "cluster": {}}, ("cluster",),
                     "cluster options are incompatible with type tmpfs", id="docker: cluster options in tmpfs"),
        pytest.param({"type": "npipe", "source": "p", "target": "/foo", "tmpfs": {"size": 1}}, ("tmpfs",),
                     "tmpfs options are incompatible with type npipe", id="docker: tmpfs options in npipe"),
        pytest.param({"type": "npipe", "source": "p", "target": "/foo", "volume": {"nocopy": True}}, ("volume",),
                     "volume options are incompatible with type npipe", id="docker: volume options in npipe"),
        pytest.param({"type": "cluster", "source": "s", "target": "/foo", "tmpfs": {"size": 1}}, ("tmpfs",),
                     "tmpfs options are incompatible with type cluster", id="docker: tmpfs options in cluster"),
        pytest.param({"type": "cluster", "source": "s", "target": "/foo", "volume": {"nocopy": True}}, ("volume",),
                     "volume options are incompatible with type cluster", id="docker: volume options in cluster"),
        pytest.param({"type": "cluster", "source": "unknown", "target": "/foo"}, ("source",), 'undefined volume "unknown"',
                     id="docker: cluster with undefined volume"),
        pytest.param("db:/var/lib/db", (), "expected the long volume syntax (a mapping), got 'db:/var/lib/db'",
                     id="short syntax is the loader's job"),
    ],
)
def test_convert_mount_errors(vol: Any, path: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConvertError) as info:
        convert_mount(vol, VOLUMES, NS)
    assert (info.value.path, info.value.message) == (path, message)


def test_convert_mounts_keeps_order_and_points_at_index() -> None:
    """docker: TestVolumesWithMultipleServiceVolumeConfigs, and the index of the failing entry."""
    vols = [{"type": "bind", "source": "/b", "target": "/b"}, {"type": "volume", "source": "plain", "target": "/a"}]
    assert [m["Target"] for m in convert_mounts(vols, VOLUMES, NS)] == ["/b", "/a"]
    with pytest.raises(ConvertError) as info:
        convert_mounts(vols + [{"type": "volume", "source": "nope", "target": "/c"}], VOLUMES, NS)
    assert info.value.path == (2, "source")


def test_mount_keys_in_go_field_order() -> None:
    mount = convert_mount({"consistency": "cached", "read_only": True, "target": "/t", "source": "normal",
                           "type": "volume", "volume": {"nocopy": True}}, VOLUMES, NS)
    assert list(mount) == ["Type", "Source", "Target", "ReadOnly", "Consistency", "VolumeOptions"]
    assert list(mount["VolumeOptions"]) == ["NoCopy", "Labels", "DriverConfig"]
