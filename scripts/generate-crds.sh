#!/usr/bin/env bash
# Regenerates k8s/crds from the resource descriptors (kumactl install crds). Run after changing a resource type or a
# spec class; Kuma.Tests/Kubernetes/Manifests/CrdDriftTests fails until the committed files match.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run --project Kuma.Kumactl -- install crds --output-dir k8s/crds
