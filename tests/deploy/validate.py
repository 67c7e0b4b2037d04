#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Validate deploy/ without a cluster.

Every core/apps/rbac object is built, field by field, into the model class of
Debian's python3-kubernetes (the API's own schema): an unknown field, a value
of the wrong type or a missing required field fails. The Prometheus
Operator's kinds (ServiceMonitor, PodMonitor, PrometheusRule) are checked
against the part of their CRD schema written out below, unknown fields
failing too. Then the objects are checked against each other: selectors
select the DaemonSet's pods, port names exist, the namespace exists, the
ConfigMap holds what --cidrs-from reads, the alert groups by pod.

  validate.py [DIR]              one line per manifest and per check:
                                 "ok NAME" or "not ok NAME: why"
  validate.py --self-test [DIR]  break copies of DIR's manifests one way at a
                                 time: each must be refused, with the reason
Run it with /usr/bin/python3 (Debian's python3-kubernetes and python3-yaml).
"""
import copy
import glob
import json
import os
import re
import sys
import tempfile

import yaml
from kubernetes import client

NAMESPACE = "tunleak"

MODELS = {
    ("v1", "Namespace"): client.V1Namespace,
    ("v1", "ServiceAccount"): client.V1ServiceAccount,
    ("v1", "ConfigMap"): client.V1ConfigMap,
    ("v1", "Service"): client.V1Service,
    ("apps/v1", "DaemonSet"): client.V1DaemonSet,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): client.V1RoleBinding,
}

QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")
DURATION = re.compile(r"^((\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?|0)$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class Invalid(Exception):
    pass


def sub(path, key):
    """The path of a member: "spec.template" (no leading dot at the root)."""
    return "%s.%s" % (path, key) if path else key


# --- core kinds: into the python3-kubernetes models ------------------------------

def build(type_name, value, path):
    """value as an object of the OpenAPI type type_name, or Invalid."""
    if type_name.startswith("list["):
        if not isinstance(value, list):
            raise Invalid("%s: expected a list, got %s" % (path, type(value).__name__))
        return [build(type_name[5:-1], v, "%s[%d]" % (path, i)) for i, v in enumerate(value)]
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            raise Invalid("%s: expected a map, got %s" % (path, type(value).__name__))
        inner = type_name[5:-1].split(", ", 1)[1]
        return {k: build(inner, v, sub(path, k)) for k, v in value.items()}
    if type_name == "str":
        if not isinstance(value, str):
            raise Invalid("%s: expected a string, got %s %r" % (path, type(value).__name__, value))
        return value
    if type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid("%s: expected an integer, got %r" % (path, value))
        return value
    if type_name == "bool":
        if not isinstance(value, bool):
            raise Invalid("%s: expected true or false, got %r" % (path, value))
        return value
    if type_name == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise Invalid("%s: expected a number, got %r" % (path, value))
        return value
    if type_name in ("object", "datetime", "date"):
        return value
    cls = getattr(client.models, type_name, None)
    if cls is None:
        raise Invalid("%s: no model %s" % (path, type_name))
    if not isinstance(value, dict):
        raise Invalid("%s: expected an object (%s), got %r" % (path, type_name, value))
    by_json = {j: a for a, j in cls.attribute_map.items()}
    kwargs = {}
    for k, v in value.items():
        if k not in by_json:
            raise Invalid("%s: unknown field (%s has %s)" % (
                sub(path, k), type_name, ", ".join(sorted(by_json))))
        if v is None:
            continue
        kwargs[by_json[k]] = build(cls.openapi_types[by_json[k]], v, sub(path, k))
    try:
        return cls(**kwargs)
    except ValueError as e:  # a required field is missing, or an enum is wrong
        raise Invalid("%s: %s" % (path, e))


# --- the Prometheus Operator's kinds: their CRD schema, the part we use ----------

class Any:
    def check(self, v, path):
        pass


class Str:
    def __init__(self, pattern=None, enum=None):
        self.pattern, self.enum = pattern, enum

    def check(self, v, path):
        if not isinstance(v, str):
            raise Invalid("%s: expected a string, got %r" % (path, v))
        if self.enum and v not in self.enum:
            raise Invalid("%s: %r is not one of %s" % (path, v, ", ".join(self.enum)))
        if self.pattern and not self.pattern.match(v):
            raise Invalid("%s: %r does not match %s" % (path, v, self.pattern.pattern))


class Bool:
    def check(self, v, path):
        if not isinstance(v, bool):
            raise Invalid("%s: expected true or false, got %r" % (path, v))


class Int:
    def check(self, v, path):
        if not isinstance(v, int) or isinstance(v, bool):
            raise Invalid("%s: expected an integer, got %r" % (path, v))


class IntOrStr:
    def check(self, v, path):
        if not isinstance(v, (int, str)) or isinstance(v, bool):
            raise Invalid("%s: expected an integer or a string, got %r" % (path, v))


class List:
    def __init__(self, item):
        self.item = item

    def check(self, v, path):
        if not isinstance(v, list):
            raise Invalid("%s: expected a list, got %r" % (path, v))
        for i, e in enumerate(v):
            self.item.check(e, "%s[%d]" % (path, i))


class Map:
    def __init__(self, value):
        self.value = value

    def check(self, v, path):
        if not isinstance(v, dict):
            raise Invalid("%s: expected a map, got %r" % (path, v))
        for k, e in v.items():
            Str().check(k, "%s (a key)" % path)
            self.value.check(e, sub(path, k))


class Obj:
    def __init__(self, fields, required=()):
        self.fields, self.required = fields, required

    def check(self, v, path):
        if not isinstance(v, dict):
            raise Invalid("%s: expected an object, got %r" % (path, v))
        for k, e in v.items():
            if k not in self.fields:
                raise Invalid("%s: unknown field (allowed: %s)" % (
                    sub(path, k), ", ".join(sorted(self.fields))))
            self.fields[k].check(e, sub(path, k))
        for r in self.required:
            if r not in v:
                raise Invalid("%s: required" % sub(path, r))


class Model:
    """A core type inside a CRD (ObjectMeta, LabelSelector)."""

    def __init__(self, name):
        self.name = name

    def check(self, v, path):
        build(self.name, v, path)


DURATION_T = Str(DURATION)
RELABEL = Obj({
    "sourceLabels": List(Str(LABEL_NAME)), "separator": Str(), "targetLabel": Str(),
    "regex": Str(), "modulus": Int(), "replacement": Str(),
    "action": Str(enum=("replace", "keep", "drop", "hashmod", "labelmap", "labeldrop",
                        "labelkeep", "lowercase", "uppercase", "keepequal", "dropequal")),
})
ENDPOINT_FIELDS = {
    "port": Str(), "targetPort": IntOrStr(), "path": Str(), "scheme": Str(enum=("http", "https")),
    "params": Map(List(Str())), "interval": DURATION_T, "scrapeTimeout": DURATION_T,
    "honorLabels": Bool(), "honorTimestamps": Bool(), "relabelings": List(RELABEL),
    "metricRelabelings": List(RELABEL), "tlsConfig": Any(), "bearerTokenSecret": Any(),
    "bearerTokenFile": Str(), "authorization": Any(), "basicAuth": Any(),
    "followRedirects": Bool(), "enableHttp2": Bool(), "proxyUrl": Str(),
}
NAMESPACE_SELECTOR = Obj({"any": Bool(), "matchNames": List(Str())})
COMMON_SPEC = {
    "jobLabel": Str(), "podTargetLabels": List(Str()), "sampleLimit": Int(),
    "targetLimit": Int(), "labelLimit": Int(), "labelNameLengthLimit": Int(),
    "labelValueLengthLimit": Int(), "attachMetadata": Any(),
    "selector": Model("V1LabelSelector"), "namespaceSelector": NAMESPACE_SELECTOR,
}
RULE = Obj({
    "alert": Str(), "record": Str(), "expr": IntOrStr(), "for": DURATION_T,
    "keep_firing_for": DURATION_T, "labels": Map(Str()), "annotations": Map(Str()),
}, required=("expr",))
CRDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): Obj({
        **COMMON_SPEC, "targetLabels": List(Str()),
        "endpoints": List(Obj(ENDPOINT_FIELDS)),
    }, required=("selector", "endpoints")),
    ("monitoring.coreos.com/v1", "PodMonitor"): Obj({
        **COMMON_SPEC,
        "podMetricsEndpoints": List(Obj(ENDPOINT_FIELDS)),
    }, required=("selector", "podMetricsEndpoints")),
    ("monitoring.coreos.com/v1", "PrometheusRule"): Obj({
        "groups": List(Obj({
            "name": Str(), "interval": DURATION_T, "rules": List(RULE),
            "partial_response_strategy": Str(), "limit": Int(),
        }, required=("name", "rules"))),
    }),
}
KUSTOMIZATION = Obj({
    "apiVersion": Str(enum=("kustomize.config.k8s.io/v1beta1",)),
    "kind": Str(enum=("Kustomization",)), "resources": List(Str()),
    "namespace": Str(), "images": List(Obj({"name": Str(), "newName": Str(),
                                            "newTag": Str(), "digest": Str()},
                                           required=("name",))),
}, required=("resources",))


def check_crd(doc, path):
    key = (doc.get("apiVersion"), doc.get("kind"))
    Obj({"apiVersion": Str(), "kind": Str(), "metadata": Model("V1ObjectMeta"),
         "spec": CRDS[key]}, required=("metadata", "spec")).check(doc, path)
    if key[1] == "PrometheusRule":
        for g in doc["spec"]["groups"]:
            for i, r in enumerate(g["rules"]):
                if ("alert" in r) == ("record" in r):
                    raise Invalid("%s: needs alert or record, not both"
                                  % sub(path, "spec.groups[%s].rules[%d]" % (g["name"], i)))


# --- loading ---------------------------------------------------------------------------

def load(directory):
    """{file: [documents]} for DIR/*.yaml and DIR/alternatives/*.yaml."""
    files = sorted(glob.glob(os.path.join(directory, "*.yaml")) +
                   glob.glob(os.path.join(directory, "alternatives", "*.yaml")))
    out = {}
    for f in files:
        name = os.path.relpath(f, directory)
        try:
            with open(f) as fh:
                out[name] = [d for d in yaml.safe_load_all(fh) if d is not None]
        except yaml.YAMLError as e:
            out[name] = Invalid("not YAML: %s" % str(e).replace("\n", " "))
    return out


def validate_file(name, docs):
    """Schema errors of one file's documents (an exception: the first one)."""
    if isinstance(docs, Invalid):
        raise docs
    if not docs:
        raise Invalid("no document")
    for i, d in enumerate(docs):
        where = "document %d: " % i if len(docs) > 1 else ""
        try:
            validate_doc(d)
        except Invalid as e:
            raise Invalid(where + str(e))


def validate_doc(d):
    if not isinstance(d, dict):
        raise Invalid("expected an object")
    key = (d.get("apiVersion"), d.get("kind"))
    if key[1] == "Kustomization":
        KUSTOMIZATION.check(d, "")
        return
    if key in MODELS:
        build(MODELS[key].__name__, d, "")
    elif key in CRDS:
        check_crd(d, "")
    else:
        raise Invalid("unknown kind %s %s" % key)
    meta = d.get("metadata") or {}
    if not meta.get("name"):
        raise Invalid("metadata.name is required")
    if key[1] != "Namespace" and meta.get("namespace") != NAMESPACE:
        raise Invalid("metadata.namespace is %r, expected %s" % (meta.get("namespace"), NAMESPACE))


# --- the objects against each other ----------------------------------------------------

def index(files):
    objs = {}
    for name, docs in files.items():
        if isinstance(docs, Invalid):
            continue
        for d in docs:
            if isinstance(d, dict) and d.get("kind"):
                objs.setdefault(d["kind"], []).append((name, d))
    return objs


def one(objs, kind):
    found = objs.get(kind, [])
    if len(found) != 1:
        raise Invalid("expected one %s, found %d" % (kind, len(found)))
    return found[0][1]


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def quantity(q):
    m = QUANTITY.match(q or "")
    if not m:
        raise Invalid("%r is not a quantity" % q)
    num = float(q[:m.start(3)] if m.group(3) else q)
    suffix = m.group(3) or ""
    scale = {"": 1, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9,
             "T": 1e12, "P": 1e15, "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
             "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
    if suffix in scale:
        return num * scale[suffix]
    return num * 10 ** int(suffix[1:])


def pod_spec(objs):
    return one(objs, "DaemonSet")["spec"]["template"]["spec"]


def container(objs):
    cs = pod_spec(objs)["containers"]
    if len(cs) != 1:
        raise Invalid("expected one container, found %d" % len(cs))
    return cs[0]


def check_namespace(objs):
    ns = one(objs, "Namespace")
    if ns["metadata"]["name"] != NAMESPACE:
        raise Invalid("the Namespace is %r, the objects are in %s" % (ns["metadata"]["name"], NAMESPACE))
    if ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "privileged":
        raise Invalid("Pod Security admission would refuse the DaemonSet's pods: "
                      "label pod-security.kubernetes.io/enforce: privileged")


def check_daemonset_pods(objs):
    ds = one(objs, "DaemonSet")
    spec = ds["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    if not spec["selector"].get("matchLabels") or not selects(spec["selector"]["matchLabels"], labels):
        raise Invalid("spec.selector does not select the pod template's labels %s" % labels)
    ps = spec["template"]["spec"]
    for k, want in (("hostPID", True), ("hostNetwork", True),
                    ("dnsPolicy", "ClusterFirstWithHostNet")):
        if ps.get(k) != want:
            raise Invalid("spec.template.spec.%s is %r, expected %r" % (k, ps.get(k), want))
    if not any(t.get("operator") == "Exists" and not t.get("key") and not t.get("effect")
               for t in ps.get("tolerations", [])):
        raise Invalid("no toleration of every taint (operator: Exists): "
                      "control-plane and tainted nodes would have no tunleak")
    sa = ps.get("serviceAccountName")
    if sa not in [d["metadata"]["name"] for _, d in objs.get("ServiceAccount", [])]:
        raise Invalid("serviceAccountName %r: no such ServiceAccount" % sa)
    c = container(objs)
    if not (c.get("securityContext") or {}).get("privileged"):
        raise Invalid("the container is not privileged")
    if c.get("image") != "IMAGE":
        raise Invalid("image %r: the manifests keep the placeholder IMAGE" % c.get("image"))


def check_resources(objs):
    res = container(objs).get("resources") or {}
    want = {"requests": {"cpu": "20m", "memory": "32Mi"},
            "limits": {"cpu": "500m", "memory": "128Mi"}}
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            got = (res.get(kind) or {}).get(r)
            try:
                q = quantity(got)
            except Invalid as e:
                raise Invalid("resources.%s.%s: %s" % (kind, r, e))
            if q != quantity(want[kind][r]):
                raise Invalid("resources.%s.%s is %s, expected %s" % (kind, r, got, want[kind][r]))
    for r in ("cpu", "memory"):
        if quantity(res["requests"][r]) > quantity(res["limits"][r]):
            raise Invalid("resources: %s request above its limit" % r)


def check_volumes(objs):
    ps = pod_spec(objs)
    vols = {v["name"]: v for v in ps.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in container(objs).get("volumeMounts", [])}
    for m in mounts.values():
        if m["name"] not in vols:
            raise Invalid("volumeMount %s: no volume %r" % (m["mountPath"], m["name"]))
    for path in ("/run/netns", "/run/containers", "/run/containerd"):
        m = mounts.get(path)
        if not m:
            raise Invalid("%s is not mounted" % path)
        hp = vols[m["name"]].get("hostPath", {}).get("path")
        if hp != path:
            raise Invalid("%s mounts host path %r" % (path, hp))
        if not m.get("readOnly"):
            raise Invalid("%s is not read-only" % path)
    # the records of the clsact qdiscs tunleak creates (tc mode): the host's,
    # so that the next pod on the node removes those of a killed one
    m = mounts.get("/run/tunleak")
    if not m:
        raise Invalid("/run/tunleak is not mounted")
    hp = vols[m["name"]].get("hostPath", {}).get("path")
    if hp != "/run/tunleak":
        raise Invalid("/run/tunleak mounts host path %r" % hp)
    if m.get("readOnly"):
        raise Invalid("/run/tunleak is read-only (tunleak writes its records there)")
    if mounts["/run/netns"].get("mountPropagation") != "HostToContainer":
        raise Invalid("/run/netns needs mountPropagation: HostToContainer "
                      "(namespaces pinned after the container started are bind mounts)")
    if "/sys/fs/bpf" in mounts:
        raise Invalid("/sys/fs/bpf is mounted but not needed")


def arg_value(args, opt):
    for i, a in enumerate(args):
        if a == opt and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(opt + "="):
            return a[len(opt) + 1:]
    return None


def check_args(objs):
    c = container(objs)
    args = c.get("args", [])
    if "--all" not in args:
        raise Invalid("args lack --all (node mode)")
    addr = arg_value(args, "--metrics-addr")
    m = re.match(r"^(\[[0-9a-fA-F:.]*\]|[0-9.]*):(\d+)$", addr or "")
    if not m:
        raise Invalid("--metrics-addr %r: expected HOST:PORT" % addr)
    ports = {p.get("name"): p for p in c.get("ports", [])}
    if "metrics" not in ports or ports["metrics"]["containerPort"] != int(m.group(2)):
        raise Invalid("--metrics-addr port %s is not the container port named metrics" % m.group(2))
    src = arg_value(args, "--cidrs-from")
    if src is None:
        if not arg_value(args, "--cluster-cidr"):
            raise Invalid("neither --cidrs-from nor --cluster-cidr in args")
        return
    # the file comes from a ConfigMap volume mounted above it
    vols = {v["name"]: v for v in pod_spec(objs).get("volumes", [])}
    for mnt in c.get("volumeMounts", []):
        prefix = mnt["mountPath"].rstrip("/") + "/"
        if src.startswith(prefix):
            cm = vols[mnt["name"]].get("configMap")
            if not cm:
                raise Invalid("--cidrs-from %s: the volume %r is no ConfigMap" % (src, mnt["name"]))
            key = src[len(prefix):]
            maps = {d["metadata"]["name"]: d for _, d in objs.get("ConfigMap", [])}
            if cm["name"] not in maps:
                raise Invalid("--cidrs-from %s: no ConfigMap %r" % (src, cm["name"]))
            data = maps[cm["name"]].get("data", {})
            if key not in data:
                raise Invalid("--cidrs-from %s: ConfigMap %r has no key %r" % (src, cm["name"], key))
            check_network_json(data[key], "ConfigMap %s key %s" % (cm["name"], key))
            return
    raise Invalid("--cidrs-from %s: no volume is mounted there" % src)


def check_network_json(text, what):
    """The shape tunleak's netconf reads (user/config/netconf.h)."""
    try:
        net = json.loads(text)
    except ValueError as e:
        raise Invalid("%s: not JSON: %s" % (what, e))
    for part in ("spec", "status"):
        p = net.get(part) or {}
        cn = [e.get("cidr") for e in p.get("clusterNetwork") or [] if isinstance(e, dict)]
        sn = p.get("serviceNetwork") or []
        if cn and sn:
            for c in cn + sn:
                if not isinstance(c, str) or not re.match(r"^[0-9a-fA-F.:]+/\d+$", c):
                    raise Invalid("%s: %s: %r is not a CIDR" % (what, part, c))
            return
    raise Invalid("%s: no spec (or status) clusterNetwork[].cidr and serviceNetwork[]" % what)


def check_probes(objs):
    c = container(objs)
    names = {p.get("name") for p in c.get("ports", [])}
    for probe in ("livenessProbe", "readinessProbe"):
        p = c.get(probe)
        if probe == "livenessProbe" and not p:
            raise Invalid("no livenessProbe")
        if not p:
            continue
        get = p.get("httpGet") or {}
        if get.get("path") != "/metrics":
            raise Invalid("%s path %r, expected /metrics" % (probe, get.get("path")))
        if get.get("port") not in names and get.get("port") != 9464:
            raise Invalid("%s port %r: no such container port" % (probe, get.get("port")))


def check_service(objs):
    svc = one(objs, "Service")
    labels = one(objs, "DaemonSet")["spec"]["template"]["metadata"]["labels"]
    if not svc["spec"].get("selector") or not selects(svc["spec"]["selector"], labels):
        raise Invalid("Service selector %s selects no DaemonSet pod (labels %s)"
                      % (svc["spec"].get("selector"), labels))
    ports = {p.get("name"): p for p in svc["spec"]["ports"]}
    if "metrics" not in ports:
        raise Invalid("the Service has no port named metrics")
    target = ports["metrics"].get("targetPort")
    cports = {p.get("name"): p["containerPort"] for p in container(objs).get("ports", [])}
    if target not in cports and target not in cports.values():
        raise Invalid("Service port metrics targets %r: no such container port" % target)


def check_servicemonitor(objs):
    sm = one(objs, "ServiceMonitor")
    svc = one(objs, "Service")
    sel = sm["spec"]["selector"].get("matchLabels")
    if not sel or not selects(sel, svc["metadata"].get("labels", {})):
        raise Invalid("ServiceMonitor selector %s does not select the Service (labels %s)"
                      % (sel, svc["metadata"].get("labels")))
    names = sm["spec"].get("namespaceSelector", {}).get("matchNames", [])
    if NAMESPACE not in names:
        raise Invalid("ServiceMonitor namespaceSelector %s lacks %s" % (names, NAMESPACE))
    ports = {p.get("name") for p in svc["spec"]["ports"]}
    check_endpoints(sm["spec"]["endpoints"], ports, "ServiceMonitor endpoint", "Service")


def check_podmonitor(objs):
    pm = one(objs, "PodMonitor")
    labels = one(objs, "DaemonSet")["spec"]["template"]["metadata"]["labels"]
    sel = pm["spec"]["selector"].get("matchLabels")
    if not sel or not selects(sel, labels):
        raise Invalid("PodMonitor selector %s selects no DaemonSet pod (labels %s)" % (sel, labels))
    ports = {p.get("name") for p in container(objs).get("ports", [])}
    check_endpoints(pm["spec"]["podMetricsEndpoints"], ports, "PodMonitor endpoint", "container")


def check_endpoints(endpoints, ports, what, where):
    if not endpoints:
        raise Invalid("%s: none" % what)
    for e in endpoints:
        if e.get("port") not in ports:
            raise Invalid("%s port %r: the %s has %s" % (what, e.get("port"), where, sorted(ports)))
        if e.get("path", "/metrics") != "/metrics":
            raise Invalid("%s path %r" % (what, e.get("path")))
        if not e.get("honorLabels"):
            raise Invalid("%s lacks honorLabels: true (the series' pod label would be "
                          "renamed exported_pod)" % what)
        if not any(r.get("targetLabel") == "node" and
                   r.get("sourceLabels") == ["__meta_kubernetes_pod_node_name"]
                   for r in e.get("relabelings", [])):
            raise Invalid("%s has no relabeling of __meta_kubernetes_pod_node_name to node" % what)


def check_alert(objs):
    rule = None
    for g in one(objs, "PrometheusRule")["spec"]["groups"]:
        for r in g["rules"]:
            if r.get("alert") == "TunleakLeak":
                rule = r
    if not rule:
        raise Invalid("no alert TunleakLeak")
    expr = str(rule["expr"])
    depth = 0
    for ch in expr:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth:
        raise Invalid("expr %r: unbalanced parentheses" % expr)
    if not re.search(r"increase\(\s*tunleak_leak_packets_total\s*\[\s*5m\s*\]\s*\)", expr):
        raise Invalid("expr %r: expected increase(tunleak_leak_packets_total[5m])" % expr)
    m = re.search(r"\bby\s*\(([^)]*)\)", expr)
    by = {x.strip() for x in m.group(1).split(",")} if m else set()
    if not {"pod", "k8s_namespace", "node"} <= by:
        raise Invalid("expr %r: expected sum by (node, k8s_namespace, pod)" % expr)
    if not re.search(r">\s*0\s*$", expr):
        raise Invalid("expr %r: expected to fire on any increase (> 0)" % expr)
    desc = rule.get("annotations", {}).get("description", "")
    if "{{ $labels.pod }}" not in desc or "tunleak check --pod" not in desc:
        raise Invalid("the description must name the pod ({{ $labels.pod }}) and point at "
                      "`tunleak check --pod`")


def check_scc(objs):
    rb = one(objs, "RoleBinding")
    if rb["roleRef"] != {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                         "name": "system:openshift:scc:privileged"}:
        raise Invalid("roleRef %s: expected ClusterRole system:openshift:scc:privileged" % rb["roleRef"])
    sa = pod_spec(objs).get("serviceAccountName")
    if not any(s.get("kind") == "ServiceAccount" and s.get("name") == sa and
               s.get("namespace") == NAMESPACE for s in rb.get("subjects", [])):
        raise Invalid("the RoleBinding does not name ServiceAccount %s/%s" % (NAMESPACE, sa))


def check_kustomization(objs, files):
    k = one(objs, "Kustomization")
    listed = set(k["resources"])
    missing = [r for r in listed if r not in files]
    if missing:
        raise Invalid("resources not in the directory: %s" % ", ".join(missing))
    top = {f for f in files if "/" not in f and f != "kustomization.yaml"}
    if top - listed:
        raise Invalid("not listed in resources: %s" % ", ".join(sorted(top - listed)))


CHECKS = [
    ("namespace", check_namespace),
    ("daemonset-pods", check_daemonset_pods),
    ("daemonset-resources", check_resources),
    ("daemonset-volumes", check_volumes),
    ("daemonset-args", check_args),
    ("daemonset-probes", check_probes),
    ("service-selects-pods", check_service),
    ("servicemonitor-selects-service", check_servicemonitor),
    ("podmonitor-selects-pods", check_podmonitor),
    ("alert-tunleakleak", check_alert),
    ("scc-rolebinding", check_scc),
]


def validate(directory):
    """[(name, error or None)] for every manifest and every check."""
    return validate_files(load(directory))


# --- self-test: broken copies must be refused ---------------------------------------

def mutate(files, fname, fn):
    docs = copy.deepcopy(files[fname])
    fn(docs[0])
    return docs


def ds_container(d):
    return d["spec"]["template"]["spec"]["containers"][0]


BREAKS = [
    # (name, file, change, what the error must say)
    ("unknown-field", "daemonset.yaml",
     lambda d: ds_container(d).update(imagePullPolicyy="Always"),
     "containers[0].imagePullPolicyy: unknown field"),
    ("missing-required", "daemonset.yaml",
     lambda d: ds_container(d).pop("name"), "`name`, must not be `None`"),
    ("wrong-type", "daemonset.yaml",
     lambda d: d["spec"]["template"]["spec"].update(hostPID="yes"), "hostPID: expected true or false"),
    ("missing-template", "daemonset.yaml",
     lambda d: d["spec"].pop("template"), "`template`, must not be `None`"),
    ("service-unknown-field", "service.yaml",
     lambda d: d["spec"]["ports"][0].update(target_port=9464), "target_port: unknown field"),
    ("service-selector", "service.yaml",
     lambda d: d["spec"].update(selector={"app": "other"}), "selects no DaemonSet pod"),
    ("servicemonitor-port", "servicemonitor.yaml",
     lambda d: d["spec"]["endpoints"][0].update(port="metric"), "endpoint port 'metric'"),
    ("servicemonitor-unknown-field", "servicemonitor.yaml",
     lambda d: d["spec"]["endpoints"][0].update(honourLabels=True), "honourLabels: unknown field"),
    ("servicemonitor-missing-endpoints", "servicemonitor.yaml",
     lambda d: d["spec"].pop("endpoints"), "spec.endpoints: required"),
    ("servicemonitor-bad-interval", "servicemonitor.yaml",
     lambda d: d["spec"]["endpoints"][0].update(interval="30 seconds"), "does not match"),
    ("podmonitor-selector", "alternatives/podmonitor.yaml",
     lambda d: d["spec"]["selector"].update(matchLabels={"app": "x"}), "selects no DaemonSet pod"),
    ("podmonitor-no-honorlabels", "alternatives/podmonitor.yaml",
     lambda d: d["spec"]["podMetricsEndpoints"][0].pop("honorLabels"), "honorLabels"),
    ("netns-propagation", "daemonset.yaml",
     lambda d: [m.pop("mountPropagation", None) for m in ds_container(d)["volumeMounts"]],
     "mountPropagation: HostToContainer"),
    ("bad-quantity", "daemonset.yaml",
     lambda d: ds_container(d)["resources"]["limits"].update(memory="128MB"), "not a quantity"),
    ("no-toleration", "daemonset.yaml",
     lambda d: d["spec"]["template"]["spec"].pop("tolerations"), "toleration"),
    ("probe-port", "daemonset.yaml",
     lambda d: ds_container(d)["livenessProbe"]["httpGet"].update(port="metric"),
     "no such container port"),
    ("cidrs-from-key", "daemonset.yaml",
     lambda d: ds_container(d)["args"].__setitem__(-1, "/etc/tunleak/cluster.json"),
     "has no key 'cluster.json'"),
    ("metrics-port", "daemonset.yaml",
     lambda d: ds_container(d)["args"].__setitem__(2, ":9465"), "not the container port"),
    ("configmap-not-json", "configmap.yaml",
     lambda d: d["data"].update({"network.json": "{spec: }"}), "not JSON"),
    ("configmap-no-cidrs", "configmap.yaml",
     lambda d: d["data"].update({"network.json": "{\"spec\": {}}"}), "no spec (or status)"),
    ("wrong-namespace", "service.yaml",
     lambda d: d["metadata"].update(namespace="default"), "metadata.namespace is 'default'"),
    ("alert-not-by-pod", "prometheusrule.yaml",
     lambda d: d["spec"]["groups"][0]["rules"][0].update(
         expr="sum(increase(tunleak_leak_packets_total[5m])) > 0"), "sum by (node, k8s_namespace, pod)"),
    ("alert-description", "prometheusrule.yaml",
     lambda d: d["spec"]["groups"][0]["rules"][0]["annotations"].update(description="leak"),
     "tunleak check --pod"),
    ("rule-alert-and-record", "prometheusrule.yaml",
     lambda d: d["spec"]["groups"][0]["rules"][0].update(record="x"), "not both"),
    ("scc-subject", "scc-rolebinding.yaml",
     lambda d: d["subjects"][0].update(name="default"), "does not name ServiceAccount"),
    ("unknown-kind", "namespace.yaml",
     lambda d: d.update(kind="Namespaces"), "unknown kind"),
    ("kustomization-missing", "kustomization.yaml",
     lambda d: d["resources"].append("rbac.yaml"), "not in the directory: rbac.yaml"),
]


def copy_tree(files, directory, out):
    """DIR's manifests into out, each re-serialized from its documents."""
    for name, docs in files.items():
        os.makedirs(os.path.dirname(os.path.join(out, name)), exist_ok=True)
        with open(os.path.join(out, name), "w") as f:
            if isinstance(docs, str):  # raw text
                f.write(docs)
            else:
                yaml.safe_dump_all(docs, f, sort_keys=False)


def self_test(directory):
    """Each break written to a copy of the directory, which must fail."""
    files = load(directory)
    base = [r for r in validate_files(files) if r[1]]
    if base:
        return [("self-test/baseline", "the manifests themselves fail: %s" % base[0][1])]
    breaks = [(n, f, fn, w) for n, f, fn, w in BREAKS]
    breaks.append(("not-yaml", "daemonset.yaml", "spec: [unclosed\n", "not YAML"))
    results = []
    with tempfile.TemporaryDirectory(prefix="tunleak-deploy-") as tmp:
        # the unbroken copy passes: the copying itself changes nothing
        copy_tree(files, directory, os.path.join(tmp, "same"))
        same = [e for _, e in validate(os.path.join(tmp, "same")) if e]
        results.append(("self-test/copy", "a faithful copy fails: %s" % same[0] if same else None))
        for i, (name, fname, fn, want) in enumerate(breaks):
            broken = dict(files)
            broken[fname] = fn if isinstance(fn, str) else mutate(files, fname, fn)
            out = os.path.join(tmp, str(i))
            copy_tree(broken, directory, out)
            errors = [e for _, e in validate(out) if e]
            if any(want in e for e in errors):
                results.append(("self-test/" + name, None))
            elif errors:
                results.append(("self-test/" + name, "refused, but not for %r: %s" % (want, errors[0])))
            else:
                results.append(("self-test/" + name, "the broken copy was accepted"))
    return results


def validate_files(files):
    """validate() over already loaded (and maybe broken) files."""
    results = []
    for name, docs in files.items():
        try:
            validate_file(name, docs)
            results.append((name, None))
        except Invalid as e:
            results.append((name, str(e)))
    objs = index(files)
    for name, fn in CHECKS:
        try:
            fn(objs)
            results.append(("check/" + name, None))
        except (Invalid, KeyError, TypeError, AttributeError) as e:
            results.append(("check/" + name, str(e) if isinstance(e, Invalid)
                            else "missing or malformed: %s %s" % (type(e).__name__, e)))
    try:
        check_kustomization(objs, files)
        results.append(("check/kustomization", None))
    except (Invalid, KeyError, TypeError) as e:
        results.append(("check/kustomization", str(e)))
    return results


def main():
    args = sys.argv[1:]
    selftest = "--self-test" in args
    args = [a for a in args if a != "--self-test"]
    directory = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "..", "deploy")
    results = self_test(directory) if selftest else validate(directory)
    bad = 0
    for name, err in results:
        if err:
            bad += 1
            print("not ok %s: %s" % (name, err.replace("\n", " ")))
        else:
            print("ok %s" % name)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
