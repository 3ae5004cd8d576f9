"""The broken-file table: every file in tests/data/broken and the exact lines it must give.

Errors are `FILE:LINE:COLUMN: key.path: message`, all of a file at once, sorted by position;
warnings that explain an error come with it (prefixed `warning: ` here).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from composeswarm.errors import InputError
from composeswarm.load.project import load_project

BROKEN = Path(__file__).resolve().parents[2] / "data" / "broken"


def lines_for(name: str) -> list[str]:
    """What loading tests/data/broken/<name> reports, one string per issue."""
    with pytest.raises(InputError) as info:
        load_project([name], environ={"HOME": "/home/user"}, cwd=str(BROKEN))
    return [str(i) if i.severity == "error" else f"warning: {i}" for i in info.value.issues]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "bad-cast.yml",
            [
                'warning: bad-cast.yml:5:7: services.web.deploy.replicas: variable BROKEN_TEST_REPLICAS is not set; substituting an empty string',
                "bad-cast.yml:5:7: services.web.deploy.replicas: cannot convert '' to an integer (from '${BROKEN_TEST_REPLICAS}')",
            ],
            id="bad cast",
        ),
        pytest.param(
            "bad-duration.yml",
            [
                'bad-duration.yml:6:7: services.web.healthcheck.interval: invalid duration (e.g. 10s, 1m30s): "10 seconds"',
            ],
            id="bad duration",
        ),
        pytest.param(
            "bad-image.yml",
            [
                'bad-image.yml:3:5: services.web.image: invalid image reference "Nginx:latest": invalid reference format: repository name (library/Nginx) must be lowercase',
            ],
            id="bad image",
        ),
        pytest.param(
            "bad-port.yml",
            [
                'bad-port.yml:6:9: services.web.ports[1]: invalid port (e.g. 80, 8080:80, 53:53/udp): "80:abc"',
            ],
            id="bad port",
        ),
        pytest.param(
            "bad-version.yml",
            [
                'bad-version.yml:1:1: version: unsupported compose file version "2.4"; use 3.0 to 3.13, or leave version out for 3.13',
            ],
            id="bad version",
        ),
        pytest.param(
            "bad-yaml.yml",
            [
                "bad-yaml.yml:4:1: invalid YAML: did not find expected ',' or ']' (in the flow sequence started at line 3, column 12)",
            ],
            id="bad yaml",
        ),
        pytest.param(
            "billion-laughs.yml",
            [
                'billion-laughs.yml:6:1: aliases expand to more than 100000 nodes; refusing the document',
            ],
            id="billion laughs",
        ),
        pytest.param(
            "boolean-environment.yml",
            [
                'boolean-environment.yml:5:7: services.web.environment.DEBUG: must be a string, a number or null, not a boolean true (quote it to keep it a string: "true")',
            ],
            id="boolean environment",
        ),
        pytest.param(
            "depends-condition.yml",
            [
                'depends-condition.yml:8:9: services.web.depends_on.db.condition: must be one of service_started, service_healthy, service_completed_successfully; got "service_ready"',
            ],
            id="depends condition",
        ),
        pytest.param(
            "depends-cycle.yml",
            [
                'depends-cycle.yml:4:5: services.a.depends_on: dependency cycle: a -> b -> a',
            ],
            id="depends cycle",
        ),
        pytest.param(
            "depends-unknown.yml",
            [
                'depends-unknown.yml:4:5: services.web.depends_on: depends on undefined service "db"',
            ],
            id="depends unknown",
        ),
        pytest.param(
            "duplicate-key.yml",
            [
                "duplicate-key.yml:4:5: services.web.image: duplicate key 'image' (first defined at line 3)",
            ],
            id="duplicate key",
        ),
        pytest.param(
            "forbidden.yml",
            [
                "forbidden.yml:5:5: services.web.mem_limit: 'mem_limit' is not supported by docker stack deploy: set resource limits using deploy.resources",
                "forbidden.yml:6:5: services.web.extends: 'extends' is not supported by docker stack deploy: support for `extends` is not implemented yet",
            ],
            id="forbidden",
        ),
        pytest.param(
            "global-replicas.yml",
            [
                'global-replicas.yml:6:7: services.agent.deploy.replicas: replicas can only be used with replicated or replicated-job mode',
            ],
            id="global replicas",
        ),
        pytest.param(
            "invalid-interpolation.yml",
            [
                "invalid-interpolation.yml:3:5: services.web.image: invalid interpolation at '$1'; escape a literal $ as $$ (in 'nginx:$1')",
            ],
            id="invalid interpolation",
        ),
        pytest.param(
            "many-errors.yml",
            [
                "many-errors.yml:4:5: services.web.restart_policy: unknown key 'restart_policy'; did you mean 'restart'?",
                'many-errors.yml:7:9: services.web.ports[1]: invalid port (e.g. 80, 8080:80, 53:53/udp): "8080:80:tcp"',
                "many-errors.yml:9:5: services.api.imgae: unknown key 'imgae'; did you mean 'image'?",
                'many-errors.yml:12:7: services.api.deploy.replicas: must be an integer, not a string "-x"',
            ],
            id="many errors",
        ),
        pytest.param(
            "missing-secret-file.yml",
            [
                'missing-secret-file.yml:8:5: secrets.db_password.file: file not found: ./no-such-file.txt',
            ],
            id="missing secret file",
        ),
        pytest.param(
            "needs-newer-version.yml",
            [
                'needs-newer-version.yml:5:5: services.web.init: unknown key \'init\': it needs compose format 3.7 or later (set version: "3.7")',
            ],
            id="needs newer version",
        ),
        pytest.param(
            "no-image.yml",
            [
                'no-image.yml:2:3: services.web: invalid image reference: no image specified',
            ],
            id="no image",
        ),
        pytest.param(
            "port-out-of-range.yml",
            [
                'port-out-of-range.yml:6:9: services.web.ports[0].published: published port must be 1-65535, got 70000',
            ],
            id="port out of range",
        ),
        pytest.param(
            "profiles.yml",
            [
                "profiles.yml:4:5: services.web.profiles: unknown key 'profiles': profiles are a Compose Specification feature that docker stack deploy (format 3.x) does not support; remove the key, or put those services in a separate file",
            ],
            id="profiles",
        ),
        pytest.param(
            "required-variable.yml",
            [
                "required-variable.yml:3:5: services.web.image: required variable BROKEN_TEST_TAG is missing a value: set the image tag (in 'nginx:${BROKEN_TEST_TAG:?set the image tag}')",
            ],
            id="required variable",
        ),
        pytest.param(
            "string-or-list.yml",
            [
                'string-or-list.yml:4:5: services.web.dns: must be a string or a list, not a mapping',
            ],
            id="string or list",
        ),
        pytest.param(
            "top-level-list.yml",
            [
                'top-level-list.yml:1:1: top-level object must be a mapping',
            ],
            id="top level list",
        ),
        pytest.param(
            "undefined-network.yml",
            [
                'undefined-network.yml:4:5: services.web.networks.front: undefined network "front"; declare it under the top-level networks',
            ],
            id="undefined network",
        ),
        pytest.param(
            "undefined-secret.yml",
            [
                'undefined-secret.yml:5:9: services.web.secrets[0]: undefined secret "db_password"; declare it under the top-level secrets',
            ],
            id="undefined secret",
        ),
        pytest.param(
            "unknown-key.yml",
            [
                "unknown-key.yml:5:7: services.web.deploy.replica: unknown key 'replica'; did you mean 'replicas'?",
            ],
            id="unknown key",
        ),
        pytest.param(
            "unterminated-interpolation.yml",
            [
                'unterminated-interpolation.yml:3:5: services.web.image: unterminated "${"; a closing "}" is missing (in \'nginx:${TAG\')',
            ],
            id="unterminated interpolation",
        ),
        pytest.param(
            "wrong-type.yml",
            [
                'wrong-type.yml:5:7: services.web.deploy.replicas: must be an integer, not a string "two"',
            ],
            id="wrong type",
        ),
        pytest.param(
            "null-services.yml",
            [
                "null-services.yml:1:1: services: must be a mapping, not null",
            ],
            id="null services",
        ),
        pytest.param(
            "unterminated-quote.yml",
            [
                'unterminated-quote.yml:4:5: services.web.command: cannot split "echo \'unterminated" into words: '
                "EOF found when expecting closing quote",
            ],
            id="unterminated quote",
        ),
        pytest.param(
            "version-number.yml",
            [
                'version-number.yml:1:1: version: must be a string, not an integer 3 (quote it: "3")',
            ],
            id="version number",
        ),
    ],
)
def test_broken_file_messages(name: str, expected: list[str]) -> None:
    got = lines_for(name)
    assert got == expected


def test_every_broken_file_is_in_the_table() -> None:
    listed = {p.name for p in BROKEN.glob("*.yml")}
    params = test_broken_file_messages.pytestmark[0].args[1]  # type: ignore[attr-defined]
    assert listed == {p.values[0] for p in params}


def test_billion_laughs_is_refused_quickly() -> None:
    start = time.perf_counter()
    lines_for("billion-laughs.yml")
    assert time.perf_counter() - start < 1.0
