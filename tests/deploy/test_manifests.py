"""The deployment files are valid: Kubernetes manifests, the Compose file, CI, alerts, dashboard.

The validators are dev dependencies (kubernetes-validate, check-jsonschema); promtool comes from
Debian's `prometheus` package and is skipped where it is not installed (the rules are then
still parsed and their metric names checked).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tools on our own files
        [str(a) for a in args], capture_output=True, text=True, check=False, timeout=120
    )


def kinds() -> set[str]:
    return {
        doc["kind"]
        for path in MANIFESTS
        for doc in yaml.safe_load_all(path.read_text())
        if doc is not None
    }


def test_kubernetes_manifests_validate_strictly() -> None:
    result = run(BIN / "kubernetes-validate", "--strict", "--quiet", *MANIFESTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validate_rejects_a_broken_manifest(tmp_path: Path) -> None:
    # Given the API Deployment with a misspelt field
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (DEPLOY / "k8s" / "api.yaml").read_text().replace("replicas: 3", "replica: 3")
    )
    # Then the check CI runs fails
    assert run(BIN / "kubernetes-validate", "--strict", "--quiet", broken).returncode != 0


def test_manifests_hold_the_production_shape() -> None:
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Ingress",
        "ConfigMap",
        "CronJob",
    } <= kinds()
    docs = [d for p in MANIFESTS for d in yaml.safe_load_all(p.read_text()) if d]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    api = deployments["psx-api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["resources"]["limits"]
    assert deployments["psx-ingester"]["spec"]["replicas"] == 1
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    assert ingress["spec"]["tls"]


def test_compose_file_matches_the_compose_spec() -> None:
    schema = DEPLOY / "schemas" / "compose-spec.json"
    result = run(BIN / "check-jsonschema", "--schemafile", schema, DEPLOY / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_check_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    text = (DEPLOY / "docker-compose.yml").read_text()
    broken.write_text(text.replace("restart: unless-stopped", "restart: [unless-stopped]", 1))
    schema = DEPLOY / "schemas" / "compose-spec.json"
    assert run(BIN / "check-jsonschema", "--schemafile", schema, broken).returncode != 0


def test_compose_runs_api_replicas_ingester_and_the_stores() -> None:
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    assert sum(1 for name in services if name.startswith("api-")) >= 2
    assert services["ingester"]["command"] == ["psx-analytics", "ingest", "--feed", "simulator"]
    assert {"timescaledb", "redis", "opensearch"} <= set(services)


def test_github_workflow_is_valid() -> None:
    workflow = ROOT / ".github" / "workflows" / "ci.yml"
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def alert_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


@pytest.mark.skipif(
    shutil.which("promtool") is None and not os.environ.get("CI"),
    reason="promtool (Debian: prometheus); CI installs it and fails without it",
)
def test_alert_rules_pass_promtool() -> None:
    result = run(
        str(shutil.which("promtool")), "check", "rules", DEPLOY / "prometheus" / "alerts.yml"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_cover_errors_latency_feed_lag_redis_and_throttling() -> None:
    exprs = " ".join(rule["expr"] for rule in alert_rules())
    for name in (
        "psx_graphql_operations_total",
        "psx_graphql_operation_duration_seconds_bucket",
        "psx_feed_lag_seconds",
        "redis_up",
        "psx_redis_fail_open_total",
        "psx_rate_limit_rejections_total",
    ):
        assert name in exprs
    assert all(rule["annotations"]["summary"] for rule in alert_rules())


def test_dashboard_queries_name_our_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "psx-analytics.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    names = {m for e in exprs for m in re.findall(r"\bpsx_[a-z_]+", e)}
    assert {
        "psx_http_requests_total",
        "psx_graphql_operations_total",
        "psx_websocket_connections",
        "psx_hub_subscribers",
        "psx_ingest_ticks_total",
        "psx_feed_lag_seconds",
        "psx_db_pool_connections",
    } <= names
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_alerts_and_dashboard_name_only_metrics_the_api_exports() -> None:
    source = (ROOT / "api" / "metrics.py").read_text()
    exported = set(re.findall(r'"(psx_[a-z_]+)"', source))
    dashboard = json.loads((DEPLOY / "grafana" / "psx-analytics.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    exprs += [rule["expr"] for rule in alert_rules()]
    used = {
        re.sub(r"_(total|bucket|sum|count)$", "", m)
        for e in exprs
        for m in re.findall(r"\bpsx_[a-z_]+", e)
    }
    assert used <= exported, sorted(used - exported)
