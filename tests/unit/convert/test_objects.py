"""convert.objects: secrets and configs a stack creates, and the references services carry.
Cases from docker/cli cli/compose/convert/{compose,service}_test.go (v28.2.2) are marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.stacknames import Namespace
from composeswarm.convert.objects import convert_objects, convert_references, credential_spec_config

NS = Namespace("foo")
STACK = {"com.docker.stack.namespace": "foo"}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_bytes(b"this is the secret")
    return tmp_path


def test_secrets(workdir: Path) -> None:
    """docker: TestSecrets, plus external, driver, template_driver and name:."""
    secrets = {
        "one": {"file": str(workdir / "secret.txt"), "labels": {"monster": "mash"}},
        "ext": {"external": True},
        "ext-named": {"external": True, "name": "real"},
        "vault": {"driver": "vault", "driver_opts": {"path": "x"}},
        "tpl": {"name": "templated", "file": "secret.txt", "template_driver": "golang"},
    }
    created, external = convert_objects("secret", secrets, NS, str(workdir))
    assert created == {
        "foo_one": {"Name": "foo_one", "Labels": {"com.docker.stack.namespace": "foo", "monster": "mash"},
                    "Data": b"this is the secret"},
        "foo_vault": {"Name": "foo_vault", "Labels": STACK, "Data": b"", "Driver": {"Name": "vault", "Options": {"path": "x"}}},
        "templated": {"Name": "templated", "Labels": STACK, "Data": b"this is the secret", "Templating": {"Name": "golang"}},
    }
    assert external == ["ext", "real"]


def test_configs(workdir: Path) -> None:
    """docker: TestConfigs; configs have no driver."""
    configs = {"one": {"file": str(workdir / "secret.txt"), "labels": {"monster": "mash"}}}
    created, external = convert_objects("config", configs, NS, str(workdir))
    assert created == {"foo_one": {"Name": "foo_one", "Labels": {"com.docker.stack.namespace": "foo", "monster": "mash"},
                                   "Data": b"this is the secret"}}
    assert external == []


@pytest.mark.parametrize(
    ("kind", "objects", "path", "message"),
    [
        pytest.param("secret", {"s": {"file": "x", "driver": "vault"}}, ("s", "driver"),
                     "secret s: secret.driver and secret.file conflict; only use secret.driver", id="file and driver"),
        pytest.param("secret", {"s": {"file": "missing.txt"}}, ("s", "file"), "open {wd}/missing.txt: no such file or directory",
                     id="missing file"),
        pytest.param("config", {"c": {"name": "only-a-name"}}, ("c", "file"), "read {wd}: is a directory",
                     id="no file: docker reads the working directory"),
    ],
)
def test_object_errors(workdir: Path, kind: str, objects: dict[str, Any], path: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConvertError) as info:
        convert_objects(kind, objects, NS, str(workdir))
    assert (info.value.path, info.value.message) == (path, message.format(wd=workdir))


def file_ref(target: str, uid: str = "0", gid: str = "0", mode: int = 0o444) -> dict[str, Any]:
    return {"Name": target, "UID": uid, "GID": gid, "Mode": mode}


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        pytest.param(
            ["foo_secret", "bar_secret"],
            [{"File": file_ref("bar_secret"), "SecretID": "", "SecretName": "bar_secret"},
             {"File": file_ref("foo_secret"), "SecretID": "", "SecretName": "foo_secret"}],
            id="docker: TestConvertServiceSecrets (sorted by name)",
        ),
        pytest.param(
            [{"source": "src", "target": "target", "uid": "user", "gid": "group", "mode": 0o644}],
            [{"File": file_ref("target", "user", "group", 0o644), "SecretID": "", "SecretName": "foo_src"}],
            id="docker: TestConvertFileObject",
        ),
        pytest.param(
            [{"source": "src"}],
            [{"File": file_ref("src"), "SecretID": "", "SecretName": "foo_src"}],
            id="docker: TestConvertFileObjectDefaults (uid/gid 0, mode 0444)",
        ),
        pytest.param(
            [{"source": "src", "target": "b"}, {"source": "src", "target": "a"}],
            [{"File": file_ref("a"), "SecretID": "", "SecretName": "foo_src"},
             {"File": file_ref("b"), "SecretID": "", "SecretName": "foo_src"}],
            id="same secret twice: by target (docker's order is random here)",
        ),
        pytest.param(
            ["ext"],
            [{"File": file_ref("ext"), "SecretID": "", "SecretName": "ext"}],
            id="external without name: the key, unscoped",
        ),
    ],
)
def test_secret_references(refs: list[Any], expected: list[dict[str, Any]]) -> None:
    objects = {"foo_secret": {"name": "foo_secret"}, "bar_secret": {"name": "bar_secret"}, "src": {},
               "ext": {"external": True}}
    assert convert_references("secret", refs, objects, NS) == expected


def test_runtime_reference_follows_file_reference_of_same_config() -> None:
    """docker appends the credential spec's Runtime reference after the file ones, then sorts stably by name."""
    from composeswarm.convert.objects import sort_key

    refs = [{"Runtime": {}, "ConfigID": "", "ConfigName": "c"},
            {"File": {"Name": "/spec.json"}, "ConfigID": "", "ConfigName": "c"},
            {"File": {"Name": "x"}, "ConfigID": "", "ConfigName": "a"}]
    ordered = sorted(refs, key=lambda r: sort_key(r, "ConfigName"))
    assert [(r["ConfigName"], "File" in r) for r in ordered] == [("a", True), ("c", True), ("c", False)]


def test_config_references_with_credential_spec_runtime() -> None:
    """docker: TestConvertServiceConfigs (the credential spec config is a Runtime reference)."""
    configs = {"foo_config": {"name": "foo_config"}, "bar_config": {"name": "bar_config"}, "baz_config": {"name": "baz_config"}}
    refs = convert_references("config", ["foo_config", "bar_config"], configs, NS)
    runtime = credential_spec_config({"credential_spec": {"config": "baz_config"}}, configs, NS)
    assert [r["ConfigName"] for r in refs] == ["bar_config", "foo_config"]
    assert runtime == {"Runtime": {}, "ConfigID": "", "ConfigName": "baz_config"}


@pytest.mark.parametrize(
    ("kind", "refs", "path", "message"),
    [
        pytest.param("secret", ["nope"], (0, "source"), 'undefined secret "nope"', id="undefined secret"),
        pytest.param("config", ["src", {"source": "nope"}], (1, "source"), 'undefined config "nope"', id="undefined config"),
        pytest.param("secret", [{"source": "src", "target": "t"}, {"source": "other", "target": "t"}], (1,),
                     "duplicate secret target for foo_other not allowed", id="duplicate target"),
    ],
)
def test_reference_errors(kind: str, refs: list[Any], path: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ConvertError) as info:
        convert_references(kind, refs, {"src": {}, "other": {}}, NS)
    assert (info.value.path, info.value.message) == (path, message)


def test_inline_data_of_a_compose_specification_file(tmp_path: Path) -> None:
    created, _ = convert_objects("secret", {"tok": {"environment": "TOKEN"}}, NS, str(tmp_path), {"tok": b"v"})
    assert created["foo_tok"]["Data"] == b"v"
    with pytest.raises(ConvertError) as info:
        convert_objects("config", {"big": {"content": "x"}}, NS, str(tmp_path), {"big": b"x" * 1024000})
    assert (info.value.path, info.value.message) == (
        ("big", "content"), "config data must be larger than 0 and less than 1024000 bytes")
