"""The Helm chart and the Dockerfile, checked offline: lint, render, validate, assert.

No cluster and no Docker engine here: `helm template` renders the manifests,
kubernetes-validate checks them against the Kubernetes API schemas, hadolint
lints the Dockerfile, and the tests assert what the deployment promises (one
writer, its volume kept, non-root and read-only everywhere).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kanban"
BIN = Path(sys.executable).parent
ALL_ON = {
    "redis.enabled": "true",
    "projector.enabled": "true",
    "projector.replicas": "3",
    "backup.enabled": "true",
    "backup.keep": "5",
    "backup.schedule": "30 2 * * *",
    "ingress.enabled": "true",
    "ingress.host": "kanban.test",
    "persistence.storageClass": "replicated-block",
    "persistence.size": "25Gi",
}


def tool(name: str) -> str:
    """A checker's path: in .tools/bin (fetched by scripts/test), the venv, or PATH."""
    for candidate in (ROOT / ".tools" / "bin" / name, BIN / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    reason = f"{name} is not installed (scripts/test fetches it)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must check the chart and the image recipe")
    pytest.skip(reason)


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def render(
    values: dict[str, str] | None = None, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    sets = [f"--set={k}={v}" for k, v in (values or {}).items()]
    return run(tool("helm"), "template", "rel", str(CHART), "--namespace", "ns", *sets, ok=ok)


def manifests(values: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(render(values).stdout) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (doc,) = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    return doc


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        spec = doc.get("spec", {})
        if doc["kind"] in ("StatefulSet", "Deployment"):
            yield doc["metadata"]["name"], spec["template"]["spec"]
        elif doc["kind"] == "CronJob":
            yield doc["metadata"]["name"], spec["jobTemplate"]["spec"]["template"]["spec"]


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


# --- lint and validate --------------------------------------------------------


@pytest.mark.parametrize("values", [{}, ALL_ON], ids=["defaults", "all-on"])
def test_the_chart_lints_and_renders_valid_kubernetes_manifests(
    values: dict[str, str], tmp_path: Path
) -> None:
    sets = [f"--set={k}={v}" for k, v in values.items()]
    run(tool("helm"), "lint", "--strict", str(CHART), *sets)
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(render(values).stdout)
    result = run(tool("kubernetes-validate"), "--strict", str(rendered))
    assert "failed" not in result.stdout + result.stderr


def test_the_validator_catches_a_manifest_kubernetes_would_refuse(tmp_path: Path) -> None:
    docs = manifests()
    writer = named(docs, "StatefulSet", "rel-kanban")
    writer["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"  # a typo
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(writer))
    result = run(tool("kubernetes-validate"), "--strict", str(bad), ok=False)
    assert result.returncode != 0
    assert "imagePullPolcy" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("persistence.size", "lots", "/persistence/size"),
        ("persistence.accessMode", "ReadWriteMany", "/persistence/accessMode"),
        ("redis.enabled", "yes", "/redis/enabled"),
        ("projector.replicas", "two", "/projector/replicas"),
        ("backup.keep", "0", "/backup/keep"),
        ("backup.enabled", "1", "/backup/enabled"),
        ("ingress.enabled", "on", "/ingress/enabled"),
        ("replicas", "2", "replicas"),
    ],
)
def test_the_values_schema_rejects_wrong_types(key: str, value: str, complaint: str) -> None:
    result = render({key: value}, ok=False)
    assert result.returncode != 0
    assert complaint in result.stderr


# --- the single writer and its volume ----------------------------------------


def test_exactly_one_writer_pod_mounts_the_log_volume() -> None:
    docs = manifests(ALL_ON)
    claim = "rel-kanban-data"
    mounting = [
        name
        for name, spec in pod_specs(docs)
        if any(
            v.get("persistentVolumeClaim", {}).get("claimName") == claim
            for v in spec.get("volumes", [])
        )
    ]
    assert mounting == ["rel-kanban"]
    writer = named(docs, "StatefulSet", "rel-kanban")
    # A StatefulSet of one: no second pod while the first may still run (updates, node loss).
    assert writer["spec"]["replicas"] == 1
    assert writer["spec"]["podManagementPolicy"] == "OrderedReady"
    assert of_kind(docs, "Deployment") == [named(docs, "Deployment", "rel-kanban-projector")]
    (container,) = writer["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["data"] == "/data"
    # The data dir sits inside the volume so that a restore can swap it in place.
    assert env(container)["KANBAN_DATA_DIR"] == "/data/kanban"


@pytest.mark.parametrize("values", [{}, ALL_ON], ids=["defaults", "all-on"])
def test_the_log_volume_is_read_write_once_of_the_chosen_class_and_kept(
    values: dict[str, str],
) -> None:
    pvc = named(manifests(values), "PersistentVolumeClaim", "rel-kanban-data")
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == values.get("persistence.size", "10Gi")
    assert pvc["spec"].get("storageClassName") == values.get("persistence.storageClass")
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_the_volume_goes_with_uninstall_only_when_asked_and_an_existing_claim_is_used() -> None:
    docs = manifests({"persistence.keepOnUninstall": "false"})
    pvc = named(docs, "PersistentVolumeClaim", "rel-kanban-data")
    assert "annotations" not in pvc["metadata"]
    docs = manifests({"persistence.existingClaim": "restored-log"})
    assert of_kind(docs, "PersistentVolumeClaim") == []
    writer = named(docs, "StatefulSet", "rel-kanban")
    volumes = writer["spec"]["template"]["spec"]["volumes"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "restored-log"}} in volumes


# --- security and probes -------------------------------------------------------


def test_every_kanban_pod_runs_non_root_read_only_without_capabilities() -> None:
    docs = manifests(ALL_ON)
    specs = dict(pod_specs(docs))
    assert set(specs) == {
        "rel-kanban",
        "rel-kanban-redis",
        "rel-kanban-projector",
        "rel-kanban-backup",
    }
    for name, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
        if name != "rel-kanban-redis":
            assert spec["securityContext"]["runAsUser"] == 10001  # the image's user
            tmp = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
            assert {"name": tmp["/tmp"], "emptyDir": {}} in spec["volumes"], name


def test_probes_watch_healthz_and_readyz() -> None:
    docs = manifests(ALL_ON)
    for name in ("rel-kanban", "rel-kanban-projector"):
        kind = "StatefulSet" if name == "rel-kanban" else "Deployment"
        (container,) = named(docs, kind, name)["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


# --- the admin token -----------------------------------------------------------


def test_the_admin_token_is_generated_given_or_taken_from_an_existing_secret() -> None:
    import base64

    generated = named(manifests(), "Secret", "rel-kanban")
    token = base64.b64decode(generated["data"]["admin-token"]).decode()
    assert len(token) == 48
    assert token.isalnum()
    assert generated["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    given = named(manifests({"adminToken": "s3cret", "logKey": "k"}), "Secret", "rel-kanban")
    assert base64.b64decode(given["data"]["admin-token"]) == b"s3cret"
    assert base64.b64decode(given["data"]["log-key"]) == b"k"
    docs = manifests({"existingSecret": "mine"})
    assert of_kind(docs, "Secret") == []
    (container,) = named(docs, "StatefulSet", "rel-kanban")["spec"]["template"]["spec"][
        "containers"
    ]
    assert env(container)["KANBAN_ADMIN_TOKEN"] == {
        "secretKeyRef": {"name": "mine", "key": "admin-token"}
    }


# --- distributed mode, backups, ingress ------------------------------------------


def test_redis_projectors_backups_and_ingress_are_off_by_default() -> None:
    kinds = sorted(d["kind"] for d in manifests())
    assert kinds == ["PersistentVolumeClaim", "Secret", "Service", "StatefulSet"]
    (container,) = named(manifests(), "StatefulSet", "rel-kanban")["spec"]["template"]["spec"][
        "containers"
    ]
    assert "KANBAN_REDIS_URL" not in env(container)


def test_the_charts_redis_persists_append_only_and_feeds_writer_and_projectors() -> None:
    docs = manifests(ALL_ON)
    redis = named(docs, "StatefulSet", "rel-kanban-redis")
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    assert container["args"][:2] == ["--appendonly", "yes"]
    assert redis["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteOnce"]
    url = "redis://rel-kanban-redis:6379/0"
    (writer,) = named(docs, "StatefulSet", "rel-kanban")["spec"]["template"]["spec"]["containers"]
    assert env(writer)["KANBAN_REDIS_URL"] == url
    projector = named(docs, "Deployment", "rel-kanban-projector")
    assert projector["spec"]["replicas"] == 3
    (worker,) = projector["spec"]["template"]["spec"]["containers"]
    assert worker["args"][-2:] == ["--role", "query"]
    assert env(worker)["KANBAN_REDIS_URL"] == url
    assert env(worker)["KANBAN_WRITER_URL"] == "http://rel-kanban:8000"


def test_an_external_redis_needs_no_redis_of_the_charts_own() -> None:
    docs = manifests({"redis.url": "redis://cache.example:6379/2"})
    assert [d["metadata"]["name"] for d in of_kind(docs, "StatefulSet")] == ["rel-kanban"]
    (worker,) = named(docs, "Deployment", "rel-kanban-projector")["spec"]["template"]["spec"][
        "containers"
    ]
    assert env(worker)["KANBAN_REDIS_URL"] == "redis://cache.example:6379/2"
    assert (
        of_kind(
            manifests({"redis.url": "redis://x:1/0", "projector.enabled": "false"}), "Deployment"
        )
        == []
    )


def test_the_backup_cronjob_pulls_into_its_own_volume_and_keeps_the_last_n() -> None:
    docs = manifests(ALL_ON)
    job = named(docs, "CronJob", "rel-kanban-backup")
    assert job["spec"]["schedule"] == "30 2 * * *"
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    spec = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["args"] == [
        "backup",
        "pull",
        "http://rel-kanban:8000",
        "--dir",
        "/backups",
        "--keep",
        "5",
    ]
    claim = next(v for v in spec.get("volumes", []) if v["name"] == "backups")[
        "persistentVolumeClaim"
    ]
    assert claim["claimName"] == "rel-kanban-backups"
    pvc = named(docs, "PersistentVolumeClaim", "rel-kanban-backups")
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_the_ingress_routes_its_host_to_the_writer() -> None:
    ingress = named(manifests(ALL_ON), "Ingress", "rel-kanban")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "kanban.test"
    assert rule["http"]["paths"][0]["backend"]["service"]["name"] == "rel-kanban"


def test_install_notes_tell_how_to_get_the_token_and_warn_about_network_file_systems() -> None:
    result = run(
        tool("helm"), "install", "rel", str(CHART), "--dry-run=client", "--namespace", "ns"
    )
    notes = result.stdout.split("NOTES:", 1)[1]
    assert "get secret rel-kanban" in notes
    assert "port-forward svc/rel-kanban" in notes
    assert "unsafe on NFS" in notes


# --- the image recipe --------------------------------------------------------------


def test_the_dockerfile_passes_hadolint() -> None:
    result = run(tool("hadolint"), str(ROOT / "Dockerfile"))
    assert result.stdout == ""


def test_hadolint_catches_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get install curl\nUSER root\n")
    result = run(tool("hadolint"), str(careless), ok=False)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # "latest" is not a pinned base image
