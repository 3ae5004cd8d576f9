"""Deploy metrics on the real engine, read back from a real Pushgateway and from the textfile.

Each deploy runs with --pushgateway (Debian's prometheus-pushgateway, started on 127.0.0.1 by
scripts/pushgateway.sh) and --metrics-file; both are parsed with prometheus_client.parser and must
say what happened: the changes made, each service's rollout outcome (a rollback counted as
rolled_back), a redeploy as a no-op. A Pushgateway that does not answer is a warning, never a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import _free_port

pytestmark = pytest.mark.engine
REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = "120"  # a first deploy can stall 30 s in libnetwork (moby#47396)

# web rolls back when its update fails (as in test_rollout); api stays as it is
STACK = """version: "3.8"
x-svc: &svc
  image: local/busybox:1
  init: true
services:
  web:
    <<: *svc
    command: {command}
    deploy:
      replicas: 2
      update_config: {{parallelism: 1, delay: 1s, monitor: 3s, failure_action: rollback}}
      rollback_config: {{parallelism: 2, monitor: 1s}}
  api:
    <<: *svc
    command: ["sleep", "100000"]
"""
GOOD = '["sleep", "100000"]'
FAILING = '["sh", "-c", "sleep 1; exit 1"]'

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def pushgateway(engine_available: None) -> Iterator[str]:
    """The URL of a Pushgateway of our own on a free port (storage in .cache), for this module."""
    port = str(_free_port())
    script = str(REPO_ROOT / "scripts" / "pushgateway.sh")
    proc = subprocess.run([script, "up", "--port", port], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([script, "down", "--port", port], capture_output=True, text=True, timeout=60)


def deploy(stack: str, file: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`composeswarm deploy --resolve-image never --timeout 120 -f FILE ARGS STACK`."""
    return subprocess.run(
        [sys.executable, "-m", "composeswarm", "deploy", "--resolve-image", "never", "--timeout", TIMEOUT,
         "-f", str(file), *args, stack],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}, cwd=REPO_ROOT,
    )


def parse(text: str, stack: str) -> Samples:
    """The composeswarm samples of STACK, keyed by name and labels (the gateway's job and instance left out)."""
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("composeswarm_") and s.labels.get("stack") == stack:
                # the gateway writes a bucket's bound as Go does (le="120"), the client as Python (le="120.0")
                labels = frozenset((k, repr(float(v)) if k == "le" else v) for k, v in s.labels.items()
                                   if k not in ("job", "instance", "stack"))
                out[(s.name, labels)] = s.value
    return out


def gateway_samples(url: str, stack: str) -> Samples:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as res:
        text = res.read().decode()
    # the grouping: job composeswarm, stack=<name>
    assert f'job="composeswarm"' in text and f'stack="{stack}"' in text
    return parse(text, stack)


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def nonzero(samples: Samples, name: str) -> dict[tuple[str, str], float]:
    """action/kind -> count for a changes metric, the zeros left out."""
    return {(dict(k)["action"], dict(k)["kind"]): v for (n, k), v in samples.items() if n == name and v}


def rollout(samples: Samples) -> dict[str, str]:
    """service -> the outcome whose sample is 1."""
    return {dict(k)["service"]: dict(k)["outcome"] for (n, k), v in samples.items()
            if n == "composeswarm_rollout_outcome" and v == 1}


def test_metrics_say_what_happened(tmp_path: Path, stack_name: str, pushgateway: str) -> None:
    file, prom = tmp_path / "stack.yml", tmp_path / f"composeswarm_{stack_name}.prom"
    args = ("--pushgateway", pushgateway, "--metrics-file", str(prom))
    web, api = f"{stack_name}_web", f"{stack_name}_api"

    file.write_text(STACK.format(command=GOOD))
    first = deploy(stack_name, file, *args)
    assert first.returncode == 0, first.stderr
    pushed, written = gateway_samples(pushgateway, stack_name), parse(prom.read_text(), stack_name)
    assert pushed == written  # the two outputs say the same
    created = {("create", "network"): 1, ("create", "service"): 2}
    assert nonzero(pushed, "composeswarm_deploy_changes_planned") == created
    assert nonzero(pushed, "composeswarm_deploy_changes_applied") == created
    assert rollout(pushed) == {web: "converged", api: "converged"}
    assert value(pushed, "composeswarm_deploy_duration_seconds_count", outcome="deployed") == 1
    assert value(pushed, "composeswarm_deploy_noop") == 0
    # 3 for the stack, 2 for the deploy lock (created, removed), 1 for the revision; the lock's refresh
    # every 10 s may add one or two while the deploy waits
    assert value(pushed, "composeswarm_deploy_api_calls", type="write") in range(6, 9)
    assert (value(pushed, "composeswarm_rollout_duration_seconds", service=web) or 0) > 0

    again = deploy(stack_name, file, *args)
    assert again.returncode == 0, again.stderr
    pushed, written = gateway_samples(pushgateway, stack_name), parse(prom.read_text(), stack_name)
    assert value(pushed, "composeswarm_deploy_noop") == value(written, "composeswarm_deploy_noop") == 1
    assert value(pushed, "composeswarm_deploy_duration_seconds_count", outcome="noop") == 1
    assert value(pushed, "composeswarm_deploy_duration_seconds_count", outcome="deployed") is None
    assert nonzero(pushed, "composeswarm_deploy_changes_applied") == {}
    # nothing for the stack, no revision, and no deploy lock (an unchanged plan never takes it)
    assert (value(pushed, "composeswarm_deploy_api_calls", type="write") or 0) == 0
    assert (value(pushed, "composeswarm_deploy_api_calls", type="read") or 0) > 0
    last_success = value(pushed, "composeswarm_deploy_last_success_timestamp_seconds")
    assert last_success is not None and last_success == value(written, "composeswarm_deploy_last_success_timestamp_seconds")

    file.write_text(STACK.format(command=FAILING))
    failed = deploy(stack_name, file, *args)
    assert failed.returncode == 3, failed.stderr
    pushed, written = gateway_samples(pushgateway, stack_name), parse(prom.read_text(), stack_name)
    assert pushed == written
    assert rollout(pushed) == {web: "rolled_back"}  # only the changed service was watched
    assert nonzero(pushed, "composeswarm_deploy_changes_applied") == {("update", "service"): 1}
    assert value(pushed, "composeswarm_deploy_duration_seconds_count", outcome="rollout_failed") == 1
    assert value(pushed, "composeswarm_deploy_noop") == 0
    # a failed deploy is no success: the last one stays the redeploy's
    assert value(pushed, "composeswarm_deploy_last_success_timestamp_seconds") == last_success


def test_an_unreachable_gateway_is_a_warning(tmp_path: Path, stack_name: str) -> None:
    file, prom = tmp_path / "stack.yml", tmp_path / "metrics.prom"
    file.write_text(STACK.format(command=GOOD))
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    run = deploy(stack_name, file, env={"COMPOSESWARM_PUSHGATEWAY": url, "COMPOSESWARM_METRICS_FILE": str(prom)})
    assert run.returncode == 0, run.stderr
    assert f"warning: metrics not pushed to {url}: [Errno 111] Connection refused\n" in run.stderr
    assert run.stdout.endswith(f"Stack {stack_name} deployed: 3 created, 0 updated, 0 replaced, 0 removed, 0 unchanged\n")
    # the file is written all the same (the environment sets the option as well as the flag)
    assert value(parse(prom.read_text(), stack_name), "composeswarm_deploy_duration_seconds_count", outcome="deployed") == 1
