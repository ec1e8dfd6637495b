#!/usr/bin/env python3
"""Validates pod manifests (JSON files) against the Kubernetes API schema with the official Python client
(kubernetes >= 37, pydantic models with extra="forbid": unknown or mistyped fields fail), then checks what
the API server would reject beyond types: names, labels, quantities, enums, volume references.
Prints "OK <file>" per valid file; otherwise the problems, and exits 1."""
import json, re, sys
from kubernetes.client import ApiClient, V1Pod
from kubernetes.utils import parse_quantity

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")

def problems(doc):
    out = []
    try:
        pod = V1Pod.model_validate(doc)
    except Exception as e:  # pydantic ValidationError: unknown field, wrong type, missing required field
        return ["schema: %s" % e]
    again = ApiClient().sanitize_for_serialization(pod)
    if again != doc:
        out.append("round trip through V1Pod changed the manifest:\n  in:  %s\n  out: %s" % (json.dumps(doc, sort_keys=True), json.dumps(again, sort_keys=True)))
    if doc.get("apiVersion") != "v1" or doc.get("kind") != "Pod":
        out.append("apiVersion/kind must be v1/Pod")
    meta, spec = doc.get("metadata", {}), doc.get("spec", {})
    name = meta.get("name", "")
    if not DNS_LABEL.match(name) or len(name) > 63:
        out.append("metadata.name %r is not a DNS-1123 label" % name)
    for k, v in (meta.get("labels") or {}).items():
        if not QUALIFIED.match(k) or len(k.split("/")[-1]) > 63:
            out.append("label key %r invalid" % k)
        if not LABEL_VALUE.match(v) or len(v) > 63:
            out.append("label value %r invalid" % v)
    for k in (meta.get("annotations") or {}):
        if not QUALIFIED.match(k):
            out.append("annotation key %r invalid" % k)
    for ref in meta.get("ownerReferences") or []:
        for f in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(f):
                out.append("ownerReference lacks %s" % f)
    if spec.get("restartPolicy") not in (None, "Always", "OnFailure", "Never"):
        out.append("restartPolicy %r invalid" % spec.get("restartPolicy"))
    volumes = {v["name"] for v in spec.get("volumes") or []}
    for v in volumes:
        if not DNS_LABEL.match(v):
            out.append("volume name %r invalid" % v)
    for c in spec.get("containers") or []:
        if not DNS_LABEL.match(c.get("name", "")):
            out.append("container name %r invalid" % c.get("name"))
        if not c.get("image"):
            out.append("container %s has no image" % c.get("name"))
        if c.get("imagePullPolicy") not in (None, "Always", "IfNotPresent", "Never"):
            out.append("imagePullPolicy invalid")
        for section in ("requests", "limits"):
            for k, q in ((c.get("resources") or {}).get(section) or {}).items():
                try:
                    parse_quantity(q)
                except Exception:
                    out.append("resources.%s.%s %r is not a quantity" % (section, k, q))
        req, lim = (c.get("resources") or {}).get("requests") or {}, (c.get("resources") or {}).get("limits") or {}
        for k in set(req) & set(lim):
            if parse_quantity(req[k]) > parse_quantity(lim[k]):
                out.append("request %s exceeds its limit" % k)
        for e in c.get("env") or []:
            if not ENV_NAME.match(e["name"]):
                out.append("env name %r invalid" % e["name"])
            if "value" in e and "valueFrom" in e:
                out.append("env %s has both value and valueFrom" % e["name"])
        for m in c.get("volumeMounts") or []:
            if m["name"] not in volumes:
                out.append("volumeMount %s names no volume" % m["name"])
            if not m["mountPath"].startswith("/"):
                out.append("mountPath %r not absolute" % m["mountPath"])
    for t in spec.get("tolerations") or []:
        if t.get("operator") not in (None, "Exists", "Equal"):
            out.append("toleration operator invalid")
        if t.get("effect") not in (None, "NoSchedule", "PreferNoSchedule", "NoExecute"):
            out.append("toleration effect invalid")
    return out

def main():
    failed = False
    for path in sys.argv[1:]:
        with open(path) as f:
            doc = json.load(f)
        found = problems(doc)
        if found:
            failed = True
            print("INVALID %s" % path)
            for p in found:
                print("  " + p)
        else:
            print("OK %s" % path)
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
