#!/usr/bin/env python3
"""A fake Kubernetes API server for tests: HTTPS on 127.0.0.1 with a bearer token, core/v1 pods and
secrets (create, get, list with label selectors, delete with grace period, watch with resourceVersion and
410 Gone), discovery documents good enough for kubectl, ownerReference garbage collection, and a fake
kubelet that runs each pod's container command as a local process (env resolved from values, secretKeyRef
and fieldRef). Test-only control endpoints under /_fake/ inject errors, compact the watch history and kill
containers.

Usage: fake_apiserver.py --cert server.pem --key server.key --token TOKEN --state-dir DIR
Prints "PORT <n>" on stdout once listening. SIGTERM stops it and kills every container it started.
"""
import argparse, base64, copy, datetime, json, os, re, signal, ssl, subprocess, sys, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

LOCK = threading.Condition()
STATE = {
    "rv": 100,
    "objects": {"pods": {}, "secrets": {}},   # kind -> {(ns, name): obj}
    "history": [],                              # (rv, type, kind, obj)
    "oldest": 0,                                # history before this rv was compacted away
    "procs": {},                                # (ns, name) -> Popen
    "inject": [],                               # error injection rules
    "requests": [],                             # (method, path, http version)
    "unpullable": set(),
    "kill_reasons": {},
}
ARGS = None
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def status_obj(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}

def bump():
    STATE["rv"] += 1
    return str(STATE["rv"])

def record(kind, etype, obj):
    """Must hold LOCK. Stores a new resourceVersion on obj and appends a watch event."""
    obj["metadata"]["resourceVersion"] = bump()
    STATE["history"].append((STATE["rv"], etype, kind, copy.deepcopy(obj)))
    LOCK.notify_all()

def match_labels(obj, selector):
    labels = obj.get("metadata", {}).get("labels") or {}
    if not selector:
        return True
    for term in selector.split(","):
        term = term.strip()
        if not term:
            continue
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "==" in term or "=" in term:
            k, v = re.split("==?", term, 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True

def match_fields(obj, selector):
    if not selector:
        return True
    for term in selector.split(","):
        k, _, v = term.partition("=")
        k = k.rstrip("=")
        v = v.lstrip("=")
        if k == "metadata.name" and obj["metadata"].get("name") != v:
            return False
        if k == "metadata.namespace" and obj["metadata"].get("namespace") != v:
            return False
    return True

# ---------------------------------------------------------------- fake kubelet

def set_pod_status(ns, name, mutate):
    with LOCK:
        pod = STATE["objects"]["pods"].get((ns, name))
        if pod is None:
            return
        mutate(pod)
        record("pods", "MODIFIED", pod)

def container_status(pod, state):
    c = pod["spec"]["containers"][0]
    return [{"name": c["name"], "image": c.get("image", ""), "ready": "running" in state, "restartCount": 0, "state": state}]

def resolve_env(pod):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": ARGS.state_dir, "HOSTNAME": pod["metadata"]["name"]}
    for e in pod["spec"]["containers"][0].get("env") or []:
        if "value" in e:
            env[e["name"]] = e["value"]
            continue
        src = e.get("valueFrom") or {}
        if "secretKeyRef" in src:
            ref = src["secretKeyRef"]
            with LOCK:
                secret = STATE["objects"]["secrets"].get((pod["metadata"]["namespace"], ref["name"]))
            if secret is None or ref["key"] not in (secret.get("data") or {}):
                if ref.get("optional"):
                    continue
                raise LookupError("secret \"%s\" or its key \"%s\" not found" % (ref["name"], ref["key"]))
            env[e["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
        elif "fieldRef" in src:
            path = src["fieldRef"]["fieldPath"]
            env[e["name"]] = {"metadata.name": pod["metadata"]["name"], "metadata.namespace": pod["metadata"]["namespace"],
                              "metadata.uid": pod["metadata"]["uid"], "status.podIP": "127.0.0.1"}.get(path, "")
    return env

def run_as(pod, container):
    """The uid, gid and supplementary groups a kubelet starts the container with: the container's
    securityContext, else the pod's, else the image's USER (--image-user); fsGroup is a supplementary group.
    runAsNonRoot with uid 0 is refused with the kubelet's message (a string)."""
    pod_sc = (pod.get("spec") or {}).get("securityContext") or {}
    sc = container.get("securityContext") or {}
    image_uid, image_gid = (int(x) for x in ARGS.image_user.split(":"))
    uid = sc.get("runAsUser", pod_sc.get("runAsUser", image_uid))
    gid = sc.get("runAsGroup", pod_sc.get("runAsGroup", image_gid))
    non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot", False))
    if non_root and uid == 0:
        return ('container has runAsNonRoot and image will run as root (pod: "%s_%s(%s)", container: %s)'
                % (pod["metadata"]["name"], pod["metadata"]["namespace"], pod["metadata"]["uid"], container["name"]))
    groups = [pod_sc["fsGroup"]] if "fsGroup" in pod_sc else []
    groups += pod_sc.get("supplementalGroups") or []
    return uid, gid, groups

def working_dir(pod, container):
    """The container's workingDir (else the image's WORKDIR, --image-workdir) on this machine: a path under a
    volume mount of a claim given with --volume CLAIM=HOSTPATH maps into that host folder; anything else runs
    in the state directory."""
    path = container.get("workingDir") or ARGS.image_workdir
    if not path:
        return ARGS.state_dir
    claims = {v["name"]: (v.get("persistentVolumeClaim") or {}).get("claimName")
              for v in (pod.get("spec") or {}).get("volumes") or []}
    hosts = dict(v.split("=", 1) for v in ARGS.volume)
    for mount in container.get("volumeMounts") or []:
        root = mount["mountPath"].rstrip("/")
        host = hosts.get(claims.get(mount["name"]) or "")
        if host and (path == root or path.startswith(root + "/")):
            return host + path[len(root):]
    return ARGS.state_dir

def kubelet(ns, name):
    time.sleep(ARGS.start_delay)
    with LOCK:
        pod = copy.deepcopy(STATE["objects"]["pods"].get((ns, name)))
    if pod is None or pod["metadata"].get("deletionTimestamp"):
        return
    container = pod["spec"]["containers"][0]
    image = container.get("image", "")
    if image in STATE["unpullable"] or "does-not-exist" in image:
        msg = 'Back-off pulling image "%s"' % image
        def waiting(p, reason):
            p["status"]["containerStatuses"] = container_status(p, {"waiting": {"reason": reason, "message": msg}})
        set_pod_status(ns, name, lambda p: waiting(p, "ErrImagePull"))
        time.sleep(0.3)
        set_pod_status(ns, name, lambda p: waiting(p, "ImagePullBackOff"))
        return
    argv = (container.get("command") or []) + (container.get("args") or [])
    if not argv:  # a placeholder pod (the test's "leader"): running, nothing to start
        set_pod_status(ns, name, lambda p: p["status"].update(phase="Running", podIP="127.0.0.1",
                       containerStatuses=container_status(p, {"running": {"startedAt": now()}})))
        return
    try:
        env = resolve_env(pod)
    except LookupError as e:
        set_pod_status(ns, name, lambda p: p["status"].update(
            containerStatuses=container_status(p, {"waiting": {"reason": "CreateContainerConfigError", "message": str(e)}})))
        return
    identity = run_as(pod, container)
    if isinstance(identity, str):  # refused, as a real kubelet refuses it: the pod stays Pending
        set_pod_status(ns, name, lambda p: p["status"].update(
            containerStatuses=container_status(p, {"waiting": {"reason": "CreateContainerConfigError", "message": identity}})))
        return
    uid, gid, groups = identity
    cwd = working_dir(pod, container)
    log = open(os.path.join(ARGS.state_dir, "%s_%s.log" % (ns, name)), "ab")
    try:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, start_new_session=True, user=uid, group=gid, extra_groups=groups)
    except OSError as e:
        set_pod_status(ns, name, lambda p: p["status"].update(phase="Failed", containerStatuses=container_status(
            p, {"terminated": {"exitCode": 128, "reason": "StartError", "message": str(e)}})))
        return
    finally:
        log.close()
    with LOCK:
        current = STATE["objects"]["pods"].get((ns, name))
        deleted = current is None or current["metadata"].get("deletionTimestamp")
        if not deleted:
            STATE["procs"][(ns, name)] = proc
    if deleted:  # the pod was deleted while its container started: no deletion will stop it, so stop it here
        kill_group(proc, signal.SIGKILL)
        proc.wait()
        return
    set_pod_status(ns, name, lambda p: p["status"].update(phase="Running", podIP="127.0.0.1", hostIP="127.0.0.1",
                   conditions=[{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}],
                   containerStatuses=container_status(p, {"running": {"startedAt": now()}})))
    code = proc.wait()
    with LOCK:
        reason = STATE["kill_reasons"].pop((ns, name), None)
    exit_code = code if code >= 0 else 128 - code
    term = {"exitCode": exit_code, "reason": reason or ("Completed" if code == 0 else "Error"), "finishedAt": now()}
    if code < 0:
        term["signal"] = -code
    set_pod_status(ns, name, lambda p: p["status"].update(phase="Succeeded" if code == 0 else "Failed",
                   containerStatuses=container_status(p, {"terminated": term})))
    with LOCK:  # only after the exit is recorded: a deletion waits for this
        if STATE["procs"].get((ns, name)) is proc:
            STATE["procs"].pop((ns, name))

def kill_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass

def delete_object(kind, ns, name, grace):
    """Deletes an object (pods: stop the container first, honouring the grace period). Returns the object."""
    with LOCK:
        obj = STATE["objects"][kind].get((ns, name))
        if obj is None:
            return None
        proc = STATE["procs"].get((ns, name)) if kind == "pods" else None
        if proc is not None and not obj["metadata"].get("deletionTimestamp"):
            obj["metadata"]["deletionTimestamp"] = now()
            obj["metadata"]["deletionGracePeriodSeconds"] = grace
            record(kind, "MODIFIED", obj)
        result = copy.deepcopy(obj)
    def finish():
        if proc is not None:
            kill_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=max(0, grace))
            except subprocess.TimeoutExpired:
                kill_group(proc, signal.SIGKILL)
                proc.wait()
            # Let the kubelet thread record the exit first (a fixed 50 ms sleep lost this race under load).
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with LOCK:
                    if STATE["procs"].get((ns, name)) is not proc:
                        break
                time.sleep(0.01)
        with LOCK:
            current = STATE["objects"][kind].pop((ns, name), None)
            if current is None:
                return
            record(kind, "DELETED", current)
            uid = current["metadata"].get("uid")
            dependents = [(k, key) for k in ("pods", "secrets") for key, o in STATE["objects"][k].items()
                          if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])]
        for k, (dns, dname) in dependents:  # garbage collection (background propagation)
            threading.Thread(target=delete_object, args=(k, dns, dname, 1), daemon=True).start()
    if proc is None:
        finish()
    else:
        threading.Thread(target=finish, daemon=True).start()
    return result

# ---------------------------------------------------------------- HTTP

def pod_table(items, rv):
    """The server-side printing kubectl asks for (`kubectl get pods` shows READY and STATUS from it)."""
    columns = [("Name", "string", "name"), ("Ready", "string", ""), ("Status", "string", ""), ("Restarts", "integer", ""), ("Age", "string", "")]
    rows = []
    for o in items:
        st = o.get("status") or {}
        cs = (st.get("containerStatuses") or [{}])[0]
        state = cs.get("state") or {}
        shown = st.get("phase", "Pending")
        if "waiting" in state:
            shown = state["waiting"].get("reason", shown)
        elif "terminated" in state:
            shown = state["terminated"].get("reason", shown)
        if o["metadata"].get("deletionTimestamp"):
            shown = "Terminating"
        ready = "1/1" if cs.get("ready") else "0/1"
        meta = {k: o["metadata"][k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp", "labels") if k in o["metadata"]}
        rows.append({"cells": [o["metadata"]["name"], ready, shown, cs.get("restartCount", 0), "1s"],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": [{"name": n, "type": t, "format": f, "description": "", "priority": 0} for n, t, f in columns], "rows": rows}

RESOURCES = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1", "resources": [
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "shortNames": ["po"], "categories": ["all"],
     "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]},
    {"name": "secrets", "singularName": "secret", "namespaced": True, "kind": "Secret",
     "verbs": ["create", "delete", "get", "list", "watch"]},
    {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace", "shortNames": ["ns"],
     "verbs": ["get", "list"]},
]}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid the 40 ms delayed-ACK stall

    def log_message(self, fmt, *args):
        if os.environ.get("FAKE_APISERVER_VERBOSE"):
            sys.stderr.write("fake-apiserver: " + fmt % args + "\n")

    def send_json(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def fail(self, code, reason, message, headers=None):
        self.send_json(code, status_obj(code, reason, message), headers)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n == 0:
            return {}
        try:
            return json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            return None

    def do_GET(self): self.route("GET")
    def do_POST(self): self.route("POST")
    def do_DELETE(self): self.route("DELETE")
    def do_PUT(self): self.route("PUT")
    def do_PATCH(self): self.route("PATCH")

    def route(self, method):
        url = urlsplit(self.path)
        path, query = url.path, {k: v[-1] for k, v in parse_qs(url.query).items()}
        with LOCK:
            STATE["requests"].append((method, self.path, self.request_version, self.client_address[1]))
        if self.headers.get("Authorization") != "Bearer " + ARGS.token:
            self.body()
            return self.fail(401, "Unauthorized", "Unauthorized")
        if path.startswith("/_fake/"):
            return self.control(method, path, query)
        with LOCK:
            for rule in STATE["inject"]:
                if rule["count"] > 0 and rule.get("method", method) == method and re.search(rule["path"], path):
                    rule["count"] -= 1
                    break
            else:
                rule = None
        if rule is not None:
            self.body()
            headers = {"Retry-After": str(rule["retryAfter"])} if rule.get("retryAfter") is not None else None
            return self.fail(rule["status"], rule.get("reason", "InternalError"), rule.get("message", "injected failure"), headers)
        if path == "/version":
            return self.send_json(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-fake", "platform": "linux/amd64"})
        if path == "/api":
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        if path == "/apis":
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        if path == "/api/v1":
            return self.send_json(200, RESOURCES)
        m = re.match(r"^/api/v1/(?:namespaces/([^/]+)/)?(pods|secrets)(?:/([^/]+))?$", path)
        if not m:
            self.body()
            return self.fail(404, "NotFound", "the server could not find the requested resource")
        ns, kind, name = m.group(1), m.group(2), m.group(3)
        if method == "GET" and name is None:
            if query.get("watch") in ("true", "1"):
                return self.watch(kind, ns, query)
            return self.list(kind, ns, query)
        if method == "GET":
            with LOCK:
                obj = copy.deepcopy(STATE["objects"][kind].get((ns, name)))
            if obj is None:
                return self.fail(404, "NotFound", '%s "%s" not found' % (kind, name))
            return self.send_json(200, obj)
        if method == "POST" and name is None and ns:
            return self.create(kind, ns)
        if method == "DELETE" and name:
            opts = self.body() or {}
            grace = opts.get("gracePeriodSeconds")
            if grace is None:
                grace = int(query.get("gracePeriodSeconds", 30))
            obj = delete_object(kind, ns, name, int(grace))
            if obj is None:
                return self.fail(404, "NotFound", '%s "%s" not found' % (kind, name))
            return self.send_json(200, obj)
        self.body()
        return self.fail(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def create(self, kind, ns):
        obj = self.body()
        if obj is None:
            return self.fail(400, "BadRequest", "invalid JSON")
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not name and meta.get("generateName"):
            name = meta["generateName"] + uuid.uuid4().hex[:5]
            meta["name"] = name
        if not name or len(name) > 253 or not DNS1123.match(name):
            return self.fail(422, "Invalid", '%s "%s" is invalid: metadata.name: Invalid value: "%s": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\'' % (kind[:-1].capitalize(), name, name))
        if meta.get("namespace") not in (None, ns):
            return self.fail(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")
        if kind == "pods":
            spec = obj.get("spec") or {}
            if not spec.get("containers"):
                return self.fail(422, "Invalid", 'Pod "%s" is invalid: spec.containers: Required value' % name)
            spec.setdefault("restartPolicy", "Always")
        with LOCK:
            if (ns, name) in STATE["objects"][kind]:
                return self.fail(409, "AlreadyExists", '%s "%s" already exists' % (kind, name))
            meta.update(namespace=ns, uid=str(uuid.uuid4()), creationTimestamp=now())
            if kind == "secrets":
                data = obj.get("data") or {}
                for k, v in (obj.pop("stringData", None) or {}).items():
                    data[k] = base64.b64encode(v.encode()).decode()
                obj["data"] = data
                obj.setdefault("type", "Opaque")
            else:
                obj["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]}
            obj.setdefault("apiVersion", "v1")
            obj.setdefault("kind", "Pod" if kind == "pods" else "Secret")
            STATE["objects"][kind][(ns, name)] = obj
            record(kind, "ADDED", obj)
            result = copy.deepcopy(obj)
        if kind == "pods":
            threading.Thread(target=kubelet, args=(ns, name), daemon=True).start()
        self.send_json(201, result)

    def list(self, kind, ns, query):
        with LOCK:
            items = [copy.deepcopy(o) for (ons, _), o in sorted(STATE["objects"][kind].items())
                     if (ns is None or ons == ns) and match_labels(o, query.get("labelSelector")) and match_fields(o, query.get("fieldSelector"))]
            rv = str(STATE["rv"])
        if kind == "pods" and "as=Table" in (self.headers.get("Accept") or ""):
            return self.send_json(200, pod_table(items, rv))
        self.send_json(200, {"kind": "PodList" if kind == "pods" else "SecretList", "apiVersion": "v1",
                             "metadata": {"resourceVersion": rv}, "items": items})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, kind, ns, query):
        selector, fields = query.get("labelSelector"), query.get("fieldSelector")
        deadline = time.time() + int(query.get("timeoutSeconds", 1800))
        rv = query.get("resourceVersion")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        def wanted(o, onamespace):
            return (ns is None or onamespace == ns) and match_labels(o, selector) and match_fields(o, fields)
        try:
            with LOCK:
                if rv not in (None, "", "0") and int(rv) < STATE["oldest"]:
                    line = json.dumps({"type": "ERROR", "object": status_obj(410, "Expired", "too old resource version: %s (%d)" % (rv, STATE["oldest"]))})
                    initial, cursor = [line], None
                elif rv in (None, "", "0"):
                    initial = [json.dumps({"type": "ADDED", "object": o}) for (ons, _), o in sorted(STATE["objects"][kind].items()) if wanted(o, ons)]
                    cursor = STATE["rv"]
                else:
                    initial, cursor = [], int(rv)
            for line in initial:
                self.chunk(line.encode() + b"\n")
            while cursor is not None and time.time() < deadline and not STOP.is_set():
                with LOCK:
                    events = [(r, t, o) for (r, t, k, o) in STATE["history"] if r > cursor and k == kind]
                    if not events:
                        LOCK.wait(timeout=0.5)
                        continue
                for r, t, o in events:
                    cursor = r
                    if wanted(o, o["metadata"].get("namespace")):
                        self.chunk(json.dumps({"type": t, "object": o}).encode() + b"\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        self.close_connection = True

    def control(self, method, path, query):
        body = self.body() or {}
        if path == "/_fake/inject":
            with LOCK:
                STATE["inject"].append({"method": body.get("method"), "path": body.get("path", "."), "status": int(body.get("status", 500)),
                                        "count": int(body.get("count", 1)), "retryAfter": body.get("retryAfter"),
                                        "reason": body.get("reason", "InternalError"), "message": body.get("message", "injected failure")})
                if body.get("method") is None:
                    STATE["inject"][-1].pop("method")
            return self.send_json(200, {"ok": True})
        if path == "/_fake/unpullable":
            with LOCK:
                STATE["unpullable"].add(body["image"])
            return self.send_json(200, {"ok": True})
        if path == "/_fake/compact":
            with LOCK:
                STATE["oldest"] = STATE["rv"] + 1
                STATE["history"] = []
                bump()
            return self.send_json(200, {"ok": True})
        if path == "/_fake/kill":
            with LOCK:
                proc = STATE["procs"].get((body["namespace"], body["name"]))
                if proc is not None and body.get("reason"):
                    STATE["kill_reasons"][(body["namespace"], body["name"])] = body["reason"]
            if proc is None:
                return self.fail(404, "NotFound", "no running container")
            kill_group(proc, signal.SIGKILL)
            return self.send_json(200, {"ok": True})
        if path == "/_fake/requests":
            with LOCK:
                return self.send_json(200, {"requests": [list(r) for r in STATE["requests"]]})
        if path == "/_fake/processes":
            with LOCK:
                return self.send_json(200, {"processes": {"%s/%s" % k: p.pid for k, p in STATE["procs"].items()}})
        return self.fail(404, "NotFound", "unknown control path")

STOP = threading.Event()

def shutdown(*_):
    STOP.set()
    with LOCK:
        procs = list(STATE["procs"].values())
        LOCK.notify_all()
    for p in procs:
        kill_group(p, signal.SIGKILL)
    for p in procs:
        try:
            p.wait(timeout=5)
        except Exception:
            pass
    os._exit(0)

def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--start-delay", type=float, default=0.2)
    # The image's USER and WORKDIR, as the Dockerfile sets them; containers without a securityContext run so.
    parser.add_argument("--image-user", default="1000:1000")
    parser.add_argument("--image-workdir", default="")
    parser.add_argument("--volume", action="append", default=[], help="CLAIM=HOSTPATH: where a PVC's files are")
    ARGS = parser.parse_args()
    # A parent may have blocked signals (Foundation.Process does); containers must get SIGTERM on delete.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ARGS.cert, ARGS.key)
    context.set_alpn_protocols(["http/1.1"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    # Exit with the test process: when stdin (a pipe from the test) closes, stop.
    def watch_stdin():
        try:
            sys.stdin.read()
        finally:
            shutdown()
    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()

if __name__ == "__main__":
    main()
