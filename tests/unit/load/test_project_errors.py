"""The broken-file table: every file in tests/data/broken and the exact lines it must give.

Errors are `FILE:LINE:COLUMN: key.path: message`, all of a file at once, sorted by position;
warnings that explain an error come with it (prefixed `warning: ` here).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from composeswarm.errors import InputError
from composeswarm.load.reading import MAX_COMPOSE_FILE
from composeswarm.load.project import load_project

REPO_ROOT = Path(__file__).resolve().parents[3]
BROKEN = REPO_ROOT / "tests" / "data" / "broken"


def lines_for(name: str, spec: bool = False) -> list[str]:
    """What loading tests/data/broken/<name> reports, one string per issue.

    As docker stack deploy reads it (spec=False, `validate --strict`); test_spec_reading_changes_only
    checks that the default reading gives the same, but for the files that use Compose Specification keys.
    """
    with pytest.raises(InputError) as info:
        load_project([name], environ={"HOME": "/home/user"}, cwd=str(BROKEN), spec=spec)
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
                'depends-cycle.yml:4:18: services.a.depends_on[0]: dependency cycle: a -> b -> a',
            ],
            id="depends cycle",
        ),
        pytest.param(
            "depends-unknown.yml",
            [
                'depends-unknown.yml:5:9: services.web.depends_on[0]: depends on undefined service "db"',
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
                'undefined-network.yml:5:9: services.web.networks[0]: undefined network "front"; declare it under the top-level networks',
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
        # an error about a list entry is at the entry, with its index; a name close to a defined one
        # gets a hint (issue 16, item 7)
        pytest.param(
            "entry-networks.yml",
            [
                'entry-networks.yml:6:9: services.web.networks[1]: undefined network "backnd"; declare it under the top-level networks; did you mean "backend"?',
                'entry-networks.yml:11:7: services.worker.networks.defualt: undefined network "defualt"; declare it under the top-level networks; did you mean "default"?',
            ],
            id="networks: the item, or the key of the mapping form",
        ),
        pytest.param(
            "entry-depends-on.yml",
            [
                'entry-depends-on.yml:6:9: services.web.depends_on[1]: depends on undefined service "databse"; did you mean "database"?',
                'entry-depends-on.yml:12:7: services.worker.depends_on.wbe: depends on undefined service "wbe"; did you mean "web"?',
            ],
            id="depends_on: the item, or the key of the mapping form",
        ),
        pytest.param(
            "entry-secrets.yml",
            [
                'entry-secrets.yml:6:9: services.web.secrets[1]: undefined secret "db_pasword"; declare it under the top-level secrets; did you mean "db_password"?',
                'entry-secrets.yml:7:9: services.web.secrets[2]: undefined secret "tls_certs"; declare it under the top-level secrets; did you mean "tls_cert"?',
            ],
            id="secrets: short and long syntax",
        ),
        pytest.param(
            "entry-configs.yml",
            [
                'entry-configs.yml:6:9: services.web.configs[1]: undefined config "nginx_conf"; declare it under the top-level configs; did you mean "nginx.conf"?',
                'entry-configs.yml:10:9: services.web.configs[3]: undefined config "ngnix_conf"; declare it under the top-level configs; did you mean "nginx.conf"?',
            ],
            id="configs: long and short syntax",
        ),
        pytest.param(
            "entry-ports.yml",
            [
                'entry-ports.yml:6:9: services.web.ports[1]: duplicate published port 8080/tcp (also ports[0])',
                'entry-ports.yml:9:9: services.web.ports[2].mode: must be one of ingress, host; got "hots"',
                'entry-ports.yml:10:9: services.web.ports[3]: duplicate published port 9090/tcp (also ports[2])',
            ],
            id="ports: short and long syntax",
        ),
        pytest.param(
            "entry-volumes.yml",
            [
                'entry-volumes.yml:6:9: services.web.volumes[1]: undefined volume "dat"; declare it under the top-level volumes; did you mean "data"?',
                'entry-volumes.yml:7:9: services.web.volumes[2]: undefined volume "cache_volume"; declare it under the top-level volumes; did you mean "cache-volume"?',
                'entry-volumes.yml:10:9: services.web.volumes[3]: duplicate mount point: /data (also volumes[1])',
            ],
            id="volumes: short and long syntax",
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
        # hostile files (issue 16): each was a traceback, a message without LINE:COL, or a value
        # docker or the engine refuses that validate let through
        pytest.param(
            "deep-mapping.yml",
            ["deep-mapping.yml:4:405: x-deep: nested more than 100 levels deep; refusing the document"],
            id="mappings nested 500 levels",
        ),
        pytest.param(
            "deep-list.yml",
            ["deep-list.yml:4:110: services.web: nested more than 100 levels deep; refusing the document"],
            id="lists nested 500 levels",
        ),
        pytest.param(
            "deep-x-key.yml",
            ["deep-x-key.yml:5:405: x-deep: nested more than 100 levels deep; refusing the document"],
            id="x- key nested 350 levels",
        ),
        pytest.param(
            "nested-defaults.yml",
            [
                'nested-defaults.yml:3:5: services.web.image: "${" nested more than 20 levels deep in defaults or '
                "messages (in '${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-$...}}}}}}}}}}}}}}}}')",
            ],
            id="500 nested defaults",
        ),
        pytest.param(
            "control-character.yml",
            ["control-character.yml:3:17: invalid YAML: control characters are not allowed (found U+0000)"],
            id="NUL byte",
        ),
        pytest.param(
            "escaped-characters.yml",
            [
                "escaped-characters.yml:4:5: services.web.lab\\x1b[31mels\\u202e: unknown key "
                "'lab\\x1b[31mels\\u202e'; did you mean 'labels'?",
                'escaped-characters.yml:6:7: services.web.deploy.replicas: must be an integer, not a string '
                '"\\x1b[2J\\x00\\u202eowt"',
            ],
            id="ESC NUL and RTL override escaped",
        ),
        pytest.param(
            "long-value.yml",
            [
                'long-value.yml:4:5: services.web.command: cannot split "echo \'' + "a" * 55 + "..." + "a" * 16
                + '" into words: EOF found when expecting closing quote',
            ],
            id="100000-character value cut",
        ),
        pytest.param(
            "negative-numbers.yml",
            [
                "negative-numbers.yml:5:7: services.web.deploy.replicas: cannot parse 'Deploy.Replicas', -1 overflows uint",
                "negative-numbers.yml:7:9: services.web.deploy.update_config.parallelism: cannot parse "
                "'Deploy.update_config.Parallelism', -5 overflows uint",
                "negative-numbers.yml:9:9: services.web.deploy.restart_policy.max_attempts: cannot parse "
                "'Deploy.restart_policy.max_attempts', -1 overflows uint",
                "negative-numbers.yml:13:7: services.api.deploy.replicas: cannot parse 'Deploy.Replicas', "
                "18446744073709551616 overflows uint64",
            ],
            id="negative and too large unsigned numbers",
        ),
        pytest.param(
            "restart-condition.yml",
            [
                'restart-condition.yml:6:9: services.web.deploy.restart_policy.condition: invalid RestartCondition: '
                '"bogus"; use none, on-failure or any',
            ],
            id="restart condition",
        ),
        pytest.param(
            "engine-refusals.yml",
            [
                "engine-refusals.yml:4:24: services.web.ports[1]: duplicate published port 8080/tcp (also ports[0])",
                "engine-refusals.yml:5:31: services.web.volumes[1]: duplicate mount point: /data (also volumes[0])",
                'engine-refusals.yml:7:7: services.web.healthcheck.interval: Interval in HealthConfig cannot be less '
                'than 1ms, got "500us"',
                "engine-refusals.yml:9:7: services.web.deploy.replicas: number of replicas must be non-negative: the "
                "engine reads 9223372036854775808 as negative (at most 9223372036854775807)",
                'engine-refusals.yml:10:7: services.web.deploy.endpoint_mode: invalid resolution mode: "bogus"; use '
                "vip or dnsrr",
                "engine-refusals.yml:12:9: services.web.deploy.update_config.failure_action: unrecognized update "
                "failure action bogus; use pause, continue or rollback",
                'engine-refusals.yml:13:9: services.web.deploy.update_config.delay: update-delay cannot be negative, '
                'got "-5s"',
                "engine-refusals.yml:14:9: services.web.deploy.update_config.max_failure_ratio: update-maxfailureratio "
                "cannot be less than 0 or bigger than 1, got 2",
                'engine-refusals.yml:16:9: services.web.deploy.restart_policy.window: restart-window cannot be '
                'negative, got "-1m"',
                "engine-refusals.yml:19:11: services.web.deploy.resources.limits.cpus: invalid cpu value 0.0001: Must "
                "be at least 0.001",
                "engine-refusals.yml:20:11: services.web.deploy.resources.limits.memory: invalid memory value 1024: "
                "Must be at least 4MiB",
                "engine-refusals.yml:22:23: services.web.deploy.placement.constraints[0]: constraint expected one "
                "operator from ==, != (in 'node.role=manager')",
                "engine-refusals.yml:27:7: services.job.deploy.update_config: jobs may not have an update config",
            ],
            id="engine refusals",
        ),
        pytest.param(
            "not-utf8.yml",
            ["not-utf8.yml:4:18: cannot read compose file: not UTF-8 text (byte 0xe9)"],
            id="not UTF-8",
        ),
        pytest.param(
            "env-file-not-utf8.yml",
            [
                f"env-file-not-utf8.yml:4:5: services.web.env_file: invalid env file ({BROKEN}/not-utf8.env): "
                "invalid utf8 bytes at line 1",
            ],
            id="env_file not UTF-8",
        ),
        pytest.param(
            "nul-env-file-path.yml",
            [
                f"nul-env-file-path.yml:4:5: services.web.env_file: cannot read env file {BROKEN}/web\\x00.env: "
                "invalid argument (the path contains a NUL byte)",
            ],
            id="NUL in an env_file path",
        ),
        pytest.param(
            "nul-secret-path.yml",
            [
                "nul-secret-path.yml:6:5: secrets.token.file: invalid file ./token\\x00.txt: the path contains a NUL byte",
                "nul-secret-path.yml:9:5: configs.site.file: invalid file ./site\\x00.conf: the path contains a NUL byte",
            ],
            id="NUL in secret and config paths",
        ),
        pytest.param(
            "dev-zero-env-file.yml",
            [
                "dev-zero-env-file.yml:4:5: services.web.env_file: cannot read env file /dev/zero: larger than 1 MiB "
                "(1048576 bytes)",
            ],
            id="env_file /dev/zero",
        ),
        pytest.param(
            "dev-zero-secret.yml",
            [
                "dev-zero-secret.yml:6:5: secrets.token.file: file /dev/zero has 512000 bytes or more: secret data "
                "must be larger than 0 and less than 512000 bytes",
                "dev-zero-secret.yml:9:5: configs.site.file: file /dev/zero has 1024000 bytes or more: config data "
                "must be larger than 0 and less than 1024000 bytes",
            ],
            id="secret and config /dev/zero",
        ),
        pytest.param(
            "unchecked-names.yml",
            [
                'unchecked-names.yml:6:7: services.web.ulimits.NOFILE: must be an integer or a mapping, not a string "x"',
                'unchecked-names.yml:9:3: networks.a b: must be a mapping or null, not a string "x"',
                "unchecked-names.yml:10:3: networks.c d: must be a mapping or null, not a boolean true",
                'unchecked-names.yml:11:11: networks.e f.driver: must be a string, not an integer 5 (quote it: "5")',
            ],
            id="names the schema's patterns skip",
        ),
        pytest.param(
            "deep-alias.yml",
            ["deep-alias.yml:4:108: x-a: nested more than 100 levels deep; refusing the document"],
            id="an alias of lists nested 990 levels",
        ),
    ],
)
def test_broken_file_messages(name: str, expected: list[str]) -> None:
    got = lines_for(name)
    assert got == expected


# broken for docker, not for a Compose Specification reading (tests/unit/load/test_specfile.py)
SPEC_ACCEPTED = {"profiles.yml"}


def test_spec_reading_changes_only_spec_files() -> None:
    """Every broken file gives the same lines when read as a Compose Specification file, but these."""
    for path in sorted(BROKEN.glob("*.yml")):
        if path.name in SPEC_ACCEPTED:
            project, _ = load_project([path.name], environ={}, cwd=str(BROKEN))
            assert project.spec_keys, path.name
        else:
            assert lines_for(path.name, spec=True) == lines_for(path.name), path.name


def test_every_broken_file_is_in_the_table() -> None:
    listed = {p.name for p in BROKEN.glob("*.yml")}
    params = test_broken_file_messages.pytestmark[0].args[1]  # type: ignore[attr-defined]
    assert listed == {p.values[0] for p in params}


def test_billion_laughs_is_refused_quickly() -> None:
    start = time.perf_counter()
    lines_for("billion-laughs.yml")
    assert time.perf_counter() - start < 1.0


VALID = "services:\n  web:\n    image: nginx:1.25\n"


# What no file in tests/data/broken can hold: names, devices, standard input, env files beside it.
@pytest.mark.parametrize(
    ("files", "env_files", "stdin", "dotenv", "expected"),
    [
        pytest.param([""], None, None, None, ["empty compose file name; specify a compose file with -f FILE"],
                     id="-f ''"),
        pytest.param([","], None, None, None, ["empty compose file name; specify a compose file with -f FILE"],
                     id="-f ,"),
        pytest.param(["/dev/zero"], None, None, None,
                     ["/dev/zero: cannot read compose file: larger than 1 MiB (1048576 bytes)"], id="-f /dev/zero"),
        pytest.param(["compose.yaml"], ["/dev/zero"], None, None,
                     ["/dev/zero: cannot read env file: larger than 1 MiB (1048576 bytes)"], id="--env-file /dev/zero"),
        pytest.param(["compose.yaml"], ["bad.env"], None, b"TAG=caf\xe9\n",
                     ["{tmp}/bad.env:1:8: cannot read env file: not UTF-8 text (byte 0xe9)"], id="--env-file not UTF-8"),
        pytest.param(["compose.yaml"], None, None, b"A=1\nTAG=caf\xe9\n",
                     ["{tmp}/.env:2:8: cannot read env file: not UTF-8 text (byte 0xe9)"], id=".env not UTF-8"),
        pytest.param(["-"], None, b"services:\n  web:\n    image: caf\xe9\n", None,
                     ["<stdin>:3:15: cannot read compose file: not UTF-8 text (byte 0xe9)"], id="stdin bytes not UTF-8"),
        pytest.param(["-"], None, "services:\n  web:\n    image: caf\udce9\n", None,
                     ["<stdin>:3:15: cannot read compose file: not UTF-8 text (byte 0xe9)"],
                     id="stdin text with a surrogate"),
        pytest.param(["-"], None, "services: {}\nx-a: [" + "1," * 100_000 + "1]\n", None,
                     ["<stdin>:2:6: x-a: more than 100000 keys and list items; refusing the document"],
                     id="too many items"),
        pytest.param(["-"], None, b"#" * (MAX_COMPOSE_FILE + 1), None,
                     ["<stdin>: cannot read compose file: larger than 1 MiB (1048576 bytes)"], id="stdin too large"),
    ],
)
def test_input_messages(
    tmp_path: Path, files: list[str], env_files: list[str] | None, stdin: str | bytes | None, dotenv: bytes | None,
    expected: list[str],
) -> None:
    (tmp_path / "compose.yaml").write_text(VALID)
    if dotenv is not None:
        (tmp_path / (env_files[0] if env_files else ".env")).write_bytes(dotenv)
    with pytest.raises(InputError) as info:
        load_project(files, env_files, environ={}, cwd=str(tmp_path), stdin_text=stdin)
    got = [str(i) for i in info.value.issues]
    assert got == [line.replace("{tmp}", str(tmp_path)) for line in expected]


# The same through the command line: where the process (its stdin, its deeper stack, its stderr)
# differs from the in-process tables above. Exit 1, one line, no traceback.
@pytest.mark.parametrize(
    ("args", "stdin", "stderr"),
    [
        pytest.param(["validate", "-f", "-"], b"services:\n  w\xff:\n    image: x\n",
                     "error: <stdin>:2:4: cannot read compose file: not UTF-8 text (byte 0xff)\n", id="stdin bytes"),
        pytest.param(["validate", "-f", ""], None,
                     "error: empty compose file name; specify a compose file with -f FILE\n", id="-f ''"),
        pytest.param(["config", "-f", ","], None,
                     "error: empty compose file name; specify a compose file with -f FILE\n", id="config -f ,"),
        pytest.param(["validate", "-f", "/dev/zero"], None,
                     "error: /dev/zero: cannot read compose file: larger than 1 MiB (1048576 bytes)\n", id="-f /dev/zero"),
        pytest.param(["validate", "-f", "restart-condition.yml", "--env-file", "/dev/zero"], None,
                     "error: /dev/zero: cannot read env file: larger than 1 MiB (1048576 bytes)\n",
                     id="--env-file /dev/zero"),
        pytest.param(["validate", "-f", "deep-mapping.yml"], None,
                     "error: deep-mapping.yml:4:405: x-deep: nested more than 100 levels deep; refusing the document\n",
                     id="deep nesting"),
        pytest.param(["config", "-f", "deep-x-key.yml"], None,
                     "error: deep-x-key.yml:5:405: x-deep: nested more than 100 levels deep; refusing the document\n",
                     id="config of a deep x- key"),
        pytest.param(["config", "-f", "escaped-characters.yml"], None,
                     "error: escaped-characters.yml:4:5: services.web.lab\\x1b[31mels\\u202e: unknown key "
                     "'lab\\x1b[31mels\\u202e'; did you mean 'labels'?\n"
                     "error: escaped-characters.yml:6:7: services.web.deploy.replicas: must be an integer, not a "
                     'string "\\x1b[2J\\x00\\u202eowt"\n', id="escaped characters"),
    ],
)
def test_cli_hostile_input_exits_1_without_traceback(args: list[str], stdin: bytes | None, stderr: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "composeswarm", *args], cwd=BROKEN, input=stdin or b"", capture_output=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/home/user", "PYTHONPATH": str(REPO_ROOT)}, timeout=30,
    )
    assert (proc.returncode, proc.stdout, proc.stderr.decode()) == (1, b"", stderr)


# STYLE.md rule 11, applied where an Issue is formatted: one line, quoted values cut, controls escaped.
@pytest.mark.parametrize(
    ("path", "message", "expected"),
    [
        pytest.param(("services", "web"), "test and disable can't be set at the same time; docker's rule " + "x" * 30,
                     "f.yml:1:2: services.web: test and disable can't be set at the same time; docker's rule "
                     + "x" * 30, id="apostrophes are no quotes"),
        pytest.param(("services", "web"), "cannot convert %r" % ("it's \"q\" " + "b" * 100),
                     "f.yml:1:2: services.web: cannot convert 'it\\'s \"q\" " + "b" * 51 + "..." + "b" * 16 + "'",
                     id="repr with escaped quotes"),
        pytest.param(("services", "k" * 200), "bad", "f.yml:1:2: services." + "k" * 61 + "..." + "k" * 16 + ": bad",
                     id="long key"),
        pytest.param((), "got " + "9" * 600, "f.yml:1:2: got " + "9" * 477 + "..." + "9" * 16, id="long line"),
        pytest.param((), "two\nlines\r\tand \x1b[2J\u2066", "f.yml:1:2: two\\x0alines\\x0d\\x09and \\x1b[2J\\u2066",
                     id="controls and isolates escaped"),
    ],
)
def test_issue_lines_are_safe(path: tuple[str, ...], message: str, expected: str) -> None:
    from composeswarm.errors import Issue

    assert str(Issue("f.yml", 1, 2, path, message)) == expected
