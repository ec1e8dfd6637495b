#!/usr/bin/env python3
"""Validates Kubernetes YAML manifests (multi-document files, or "-" for stdin) against the API schema with
the official Python client's models (pydantic, extra="forbid"). Prints "OK <kind>/<name>" per object."""
import sys
import yaml
from kubernetes import client

MODELS = {
    "Namespace": client.V1Namespace, "ServiceAccount": client.V1ServiceAccount, "Role": client.V1Role,
    "RoleBinding": client.V1RoleBinding, "PersistentVolume": client.V1PersistentVolume,
    "PersistentVolumeClaim": client.V1PersistentVolumeClaim, "Job": client.V1Job, "ConfigMap": client.V1ConfigMap,
    "Pod": client.V1Pod,
}

def main():
    failed = False
    for path in sys.argv[1:]:
        text = sys.stdin.read() if path == "-" else open(path).read()
        for doc in yaml.safe_load_all(text):
            if not doc:
                continue
            kind = doc.get("kind")
            if kind == "Kustomization":
                continue
            model = MODELS.get(kind)
            name = (doc.get("metadata") or {}).get("name")
            if model is None:
                print("INVALID %s: unexpected kind %s" % (path, kind)); failed = True; continue
            try:
                model.model_validate(doc)
            except Exception as e:
                print("INVALID %s %s/%s: %s" % (path, kind, name, e)); failed = True; continue
            print("OK %s/%s" % (kind, name))
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
