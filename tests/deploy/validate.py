#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Validate deploy/ without a cluster.

deploy/ holds variants, each a kustomization: base/ (the default,
privileged; deploy/kustomization.yaml is base/), unprivileged/ (capabilities
instead), openshift-unprivileged/ (the same with its SCC), dashboards/ (the
OpenShift console's dashboard). Each is built as kustomize builds it (its
resources, ConfigMap generators and JSON patches), and alternatives/ beside
base/.

Every core/apps/rbac object is built, field by field, into the model class of
Debian's python3-kubernetes (the API's own schema): an unknown field, a value
of the wrong type or a missing required field fails. The Prometheus
Operator's kinds (ServiceMonitor, PodMonitor, PrometheusRule) and OpenShift's
SecurityContextConstraints are checked against the part of their CRD schema
written out below, unknown fields failing too. Then each variant's objects
are checked against each other: selectors select the DaemonSet's pods, port
names exist, the namespace exists, the ConfigMap holds what --cidrs-from
reads, the alerts group by the traced pod, the SCC admits the DaemonSet.

  validate.py [DIR]              one line per manifest and per check:
                                 "ok NAME" or "not ok NAME: why"
  validate.py --self-test [DIR]  break copies of DIR's manifests one way at a
                                 time: each must be refused, with the reason
  validate.py --build VARIANT [DIR]  the variant's objects, as JSON
Run it with /usr/bin/python3 (Debian's python3-kubernetes and python3-yaml).
"""
import copy
import json
import os
import re
import shutil
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
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): client.V1ClusterRole,
}
# cluster-scoped kinds, and the namespace the console reads dashboards from
CLUSTER_KINDS = ("Namespace", "ClusterRole", "SecurityContextConstraints")
DASHBOARD_NAMESPACE = "openshift-config-managed"
# the capabilities tunleak uses (deploy/unprivileged/daemonset-patch.yaml)
CAPS = {"BPF", "NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"}
# measured (deploy/base/daemonset.yaml): requests, and a memory limit only
RESOURCES = {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}}
# series the alerts and the dashboard use that tunleak does not serve yet
# (none now)
WAITING = set()

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


class Nullable:
    def __init__(self, inner):
        self.inner = inner

    def check(self, v, path):
        if v is not None:
            self.inner.check(v, path)


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
STRATEGY = Obj({"type": Str(enum=("MustRunAs", "RunAsAny", "MustRunAsRange",
                                   "MustRunAsNonRoot")), "uid": Int(), "uidRangeMin": Int(),
                 "uidRangeMax": Int(), "seLinuxOptions": Any(), "ranges": Any()})
CAP_LIST = List(Str(re.compile(r"^[A-Z_]+$")))
SCC = Obj({
    "apiVersion": Str(), "kind": Str(), "metadata": Model("V1ObjectMeta"),
    "allowPrivilegedContainer": Bool(), "allowPrivilegeEscalation": Bool(),
    "defaultAllowPrivilegeEscalation": Bool(), "allowHostDirVolumePlugin": Bool(),
    "allowHostIPC": Bool(), "allowHostNetwork": Bool(), "allowHostPID": Bool(),
    "allowHostPorts": Bool(), "allowedCapabilities": Nullable(CAP_LIST),
    "defaultAddCapabilities": Nullable(CAP_LIST), "requiredDropCapabilities": Nullable(CAP_LIST),
    "allowedFlexVolumes": Any(), "allowedUnsafeSysctls": Any(), "forbiddenSysctls": Any(),
    "readOnlyRootFilesystem": Bool(), "runAsUser": STRATEGY, "seLinuxContext": STRATEGY,
    "fsGroup": STRATEGY, "supplementalGroups": STRATEGY, "seccompProfiles": List(Str()),
    "volumes": List(Str()), "priority": Nullable(Int()), "users": List(Str()),
    "groups": List(Str()),
}, required=("metadata", "allowHostDirVolumePlugin", "allowHostIPC", "allowHostNetwork",
             "allowHostPID", "allowHostPorts", "allowPrivilegedContainer", "allowedCapabilities",
             "defaultAddCapabilities", "priority", "readOnlyRootFilesystem",
             "requiredDropCapabilities", "volumes"))
KUSTOMIZATION = Obj({
    "apiVersion": Str(enum=("kustomize.config.k8s.io/v1beta1",)),
    "kind": Str(enum=("Kustomization",)), "resources": List(Str()),
    "namespace": Str(), "images": List(Obj({"name": Str(), "newName": Str(),
                                            "newTag": Str(), "digest": Str()},
                                           required=("name",))),
    "patches": List(Obj({"path": Str(), "target": Obj({"kind": Str(), "name": Str()},
                                                       required=("kind", "name"))},
                        required=("path", "target"))),
    "configMapGenerator": List(Obj({
        "name": Str(), "namespace": Str(), "files": List(Str()),
        "options": Obj({"disableNameSuffixHash": Bool(), "labels": Map(Str())})},
        required=("name", "files"))),
})
PATCH_OP = Obj({"op": Str(enum=("add", "replace", "remove")), "path": Str(re.compile(r"^/")),
                "value": Any()}, required=("op", "path"))


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


# --- loading, and building each variant as kustomize does ------------------------------

def load(directory):
    """{file: [documents]} for every YAML file under DIR (its relative path)."""
    out = {}
    for root, _, names in sorted(os.walk(directory)):
        for n in sorted(names):
            if not n.endswith(".yaml"):
                continue
            f = os.path.join(root, n)
            name = os.path.relpath(f, directory)
            try:
                with open(f) as fh:
                    out[name] = [d for d in yaml.safe_load_all(fh) if d is not None]
            except yaml.YAMLError as e:
                out[name] = Invalid("not YAML: %s" % str(e).replace("\n", " "))
    return out


def is_patch(docs):
    """A JSON patch file: one document, a list of operations."""
    return isinstance(docs, list) and len(docs) == 1 and isinstance(docs[0], list)


def validate_file(name, docs):
    """Schema errors of one file's documents (an exception: the first one)."""
    if isinstance(docs, Invalid):
        raise docs
    if not docs:
        raise Invalid("no document")
    if is_patch(docs):
        List(PATCH_OP).check(docs[0], "")
        return
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
    elif key == ("security.openshift.io/v1", "SecurityContextConstraints"):
        SCC.check(d, "")
    else:
        raise Invalid("unknown kind %s %s" % key)
    check_meta(d)


def check_meta(d):
    meta = d.get("metadata") or {}
    if not meta.get("name"):
        raise Invalid("metadata.name is required")
    if d.get("kind") in CLUSTER_KINDS:
        if "namespace" in meta:
            raise Invalid("%s is cluster-scoped: no metadata.namespace" % d.get("kind"))
    elif meta.get("namespace") not in (NAMESPACE, DASHBOARD_NAMESPACE) or (
            meta.get("namespace") == DASHBOARD_NAMESPACE and d.get("kind") != "ConfigMap"):
        raise Invalid("metadata.namespace is %r, expected %s" % (meta.get("namespace"), NAMESPACE))


def json_patch(doc, ops, what):
    """RFC 6902 add/replace/remove, as kustomize applies them."""
    for op in ops:
        keys = [k.replace("~1", "/").replace("~0", "~") for k in op["path"].split("/")[1:]]
        node = doc
        for k in keys[:-1]:
            try:
                node = node[int(k)] if isinstance(node, list) else node[k]
            except (KeyError, IndexError, ValueError):
                raise Invalid("%s: %s: no %s" % (what, op["path"], k))
        last = keys[-1]
        if isinstance(node, list):
            idx = len(node) if last == "-" else int(last)
            if op["op"] == "add":
                node.insert(idx, copy.deepcopy(op["value"]))
            elif idx >= len(node):
                raise Invalid("%s: %s: no element %d" % (what, op["path"], idx))
            elif op["op"] == "replace":
                node[idx] = copy.deepcopy(op["value"])
            else:
                del node[idx]
        else:
            if op["op"] in ("replace", "remove") and last not in node:
                raise Invalid("%s: %s: nothing to %s" % (what, op["path"], op["op"]))
            if op["op"] == "remove":
                del node[last]
            else:
                node[last] = copy.deepcopy(op["value"])


def kustomize(files, directory, rel):
    """[(file, object)] of the kustomization in DIR/rel, as kustomize builds it."""
    kf = os.path.join(rel, "kustomization.yaml") if rel != "." else "kustomization.yaml"
    if kf not in files or isinstance(files[kf], Invalid):
        raise Invalid("%s: no kustomization" % kf)
    k = files[kf][0]
    out = []
    for r in k.get("resources", []):
        path = os.path.normpath(os.path.join(rel, r))
        if os.path.isdir(os.path.join(directory, path)):
            out += kustomize(files, directory, path)
        elif path in files and not isinstance(files[path], Invalid):
            out += [(path, copy.deepcopy(d)) for d in files[path]]
        else:
            raise Invalid("%s: resource %s: not in the directory" % (kf, r))
        if path.startswith("..") or os.path.isabs(path):
            raise Invalid("%s: resource %s is outside deploy/" % (kf, r))
    for g in k.get("configMapGenerator", []):
        data = {}
        for f in g["files"]:
            try:
                with open(os.path.join(directory, rel, f)) as fh:
                    data[os.path.basename(f)] = fh.read()
            except OSError as e:
                raise Invalid("%s: configMapGenerator %s: %s" % (kf, g["name"], e))
        opts = g.get("options", {})
        if not opts.get("disableNameSuffixHash"):
            raise Invalid("%s: configMapGenerator %s: set options.disableNameSuffixHash (a "
                          "name others can find)" % (kf, g["name"]))
        meta = {"name": g["name"], "namespace": g.get("namespace", NAMESPACE)}
        if opts.get("labels"):
            meta["labels"] = dict(opts["labels"])
        out.append((kf, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}))
    for pt in k.get("patches", []):
        pf = os.path.normpath(os.path.join(rel, pt["path"]))
        if not is_patch(files.get(pf)):
            raise Invalid("%s: patch %s: not a JSON patch file" % (kf, pt["path"]))
        hits = [d for _, d in out if d.get("kind") == pt["target"]["kind"] and
                d["metadata"]["name"] == pt["target"]["name"]]
        if len(hits) != 1:
            raise Invalid("%s: patch %s: %d objects match its target" % (kf, pt["path"], len(hits)))
        json_patch(hits[0], files[pf][0], pf)
    return out


def variants(directory):
    """{variant: [(file, object)]}: every directory with a kustomization."""
    out = {}
    for name in sorted(os.listdir(directory)):
        if os.path.isfile(os.path.join(directory, name, "kustomization.yaml")):
            out[name] = name
    return out


# --- the objects against each other ----------------------------------------------------

def index(pairs):
    objs = {}
    for name, d in pairs:
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
    sc = c.get("securityContext") or {}
    if objs["_variant"] in ("base", "."):
        if not sc.get("privileged"):
            raise Invalid("the container is not privileged (the default variant is)")
    else:
        check_capabilities(sc, ds)
    if c.get("image") != "IMAGE":
        raise Invalid("image %r: the manifests keep the placeholder IMAGE" % c.get("image"))


def check_capabilities(sc, ds):
    """The unprivileged variants: exactly tunleak's capabilities, spc_t."""
    if sc.get("privileged"):
        raise Invalid("the container is privileged in an unprivileged variant")
    caps = sc.get("capabilities") or {}
    if caps.get("drop") != ["ALL"]:
        raise Invalid("capabilities.drop is %r, expected [ALL]" % caps.get("drop"))
    if set(caps.get("add") or []) != CAPS:
        raise Invalid("capabilities.add is %s, expected exactly %s" % (
            sorted(caps.get("add") or []), sorted(CAPS)))
    # the API server's own rule (ValidateSecurityContext)
    if sc.get("allowPrivilegeEscalation") is False and "SYS_ADMIN" in caps["add"]:
        raise Invalid("allowPrivilegeEscalation: false with SYS_ADMIN added: the API refuses it")
    if (sc.get("seLinuxOptions") or {}).get("type") != "spc_t":
        raise Invalid("seLinuxOptions.type is not spc_t: under SELinux (OpenShift) the container "
                      "could not read the host's /proc, /run/netns and the runtime's files")
    if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        raise Invalid("seccompProfile is not RuntimeDefault")
    scc = ds["spec"]["template"]["metadata"].get("annotations", {}).get("openshift.io/required-scc")
    if scc != "tunleak":
        raise Invalid("annotation openshift.io/required-scc is %r, expected tunleak" % scc)


def check_resources(objs):
    res = container(objs).get("resources") or {}
    for kind in ("requests", "limits"):
        got_kind = res.get(kind) or {}
        extra = set(got_kind) - set(RESOURCES[kind])
        if extra:
            raise Invalid("resources.%s.%s: %s" % (kind, ",".join(sorted(extra)),
                          "no CPU limit: a throttled tracer reports leaks late and loses events"
                          if "cpu" in extra and kind == "limits" else "not expected"))
        for r, want in RESOURCES[kind].items():
            got = got_kind.get(r)
            try:
                q = quantity(got)
            except Invalid as e:
                raise Invalid("resources.%s.%s: %s" % (kind, r, e))
            if q != quantity(want):
                raise Invalid("resources.%s.%s is %s, expected %s (measured)" % (kind, r, got, want))
    if quantity(res["requests"]["memory"]) > quantity(res["limits"]["memory"]):
        raise Invalid("resources: memory request above its limit")


def check_volumes(objs):
    ps = pod_spec(objs)
    vols = {v["name"]: v for v in ps.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in container(objs).get("volumeMounts", [])}
    for m in mounts.values():
        if m["name"] not in vols:
            raise Invalid("volumeMount %s: no volume %r" % (m["mountPath"], m["name"]))
    for path in ("/run/netns", "/run/containers/storage/overlay-containers",
                 "/run/containerd/io.containerd.runtime.v2.task"):
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
    for path in mounts:
        if path in ("/run/containers", "/run/containerd") or path.endswith(".sock"):
            raise Invalid("%s is mounted: it holds the runtime's socket; mount only where "
                          "the pod names come from" % path)
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
        if e.get("honorLabels"):
            raise Invalid("%s has honorLabels: true: tunleak's labels collide with no target "
                          "label, and OpenShift's user-workload monitoring overrides it; leave it "
                          "false so that every Prometheus stores the same series" % what)
        relabels = e.get("relabelings", [])
        if not any(r.get("targetLabel") == "node" and
                   r.get("sourceLabels") == ["__meta_kubernetes_pod_node_name"]
                   for r in relabels):
            raise Invalid("%s has no relabeling of __meta_kubernetes_pod_node_name to node" % what)
        if not any(r.get("targetLabel") == "job" and r.get("replacement") == "tunleak" and
                   not r.get("sourceLabels") for r in relabels):
            raise Invalid("%s does not set job to tunleak (the alerts select up{job=\"tunleak\"})"
                          % what)


ALERTS = ("TunleakLeak", "TunleakRouteLeak", "TunleakDown", "TunleakNotScraped",
          "TunleakEventsUnreported", "TunleakNamespacesUntraced", "TunleakInterfaceNotCounted")
TRACED = {"node", "netns", "k8s_namespace", "k8s_pod"}


def alert_rules(objs):
    return {r["alert"]: r for g in one(objs, "PrometheusRule")["spec"]["groups"]
            for r in g["rules"] if "alert" in r}


def check_alert(objs):
    rules = alert_rules(objs)
    if "TunleakLeak" not in rules:
        raise Invalid("no alert TunleakLeak")
    rule = rules["TunleakLeak"]
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
    for by in re.findall(r"\bby\s*\(([^)]*)\)", expr) or [""]:
        if {x.strip() for x in by.split(",")} != TRACED:
            raise Invalid("expr %r: expected sum by (node, netns, k8s_namespace, k8s_pod): "
                          "the traced pod, not the target's pod label, and netns so that "
                          "namespaces without a pod name stay apart" % expr)
    if not re.search(r"increase\(\s*tunleak_leak_packets_total\s*\[\s*5m\s*\]\s*\)\s*\)\s*>\s*0", expr):
        raise Invalid("expr %r: expected to fire on any increase (> 0)" % expr)
    desc = rule.get("annotations", {}).get("description", "")
    for want in ("$labels.k8s_pod", "tunleak check", "--pod", "--netns"):
        if want not in desc:
            raise Invalid("the description must name the pod ($labels.k8s_pod) and give "
                          "`tunleak check --pod` (or --netns without a pod name): no %r" % want)
    if "$labels.pod" in str(rule.get("annotations")):
        raise Invalid("TunleakLeak's annotations name $labels.pod, tunleak's own pod")


def check_alerts(objs):
    """Every alert deploy/README.md explains, and no other."""
    rules = alert_rules(objs)
    missing = [a for a in ALERTS if a not in rules]
    if missing:
        raise Invalid("alerts missing: %s" % ", ".join(missing))
    extra = [a for a in rules if a not in ALERTS]
    if extra:
        raise Invalid("alerts not known to this check (add them to ALERTS and to "
                      "deploy/README.md): %s" % ", ".join(extra))
    for a, r in rules.items():
        if not r.get("annotations", {}).get("summary") or not r["annotations"].get("description"):
            raise Invalid("%s: needs a summary and a description" % a)
        if not r.get("labels", {}).get("severity"):
            raise Invalid("%s: no severity label" % a)
    readme = README_TEXT.get("text") or ""
    for a in rules:
        if not re.search(r"^#+ .*`%s`" % a, readme, re.M):
            raise Invalid("deploy/README.md has no section on %s (a heading with `%s`)" % (a, a))


def check_scc(objs):
    """Who may run the DaemonSet's pods on OpenShift: the privileged SCC for the
    default, the SCC tunleak for the unprivileged variants."""
    rb = one(objs, "RoleBinding")
    sa = pod_spec(objs).get("serviceAccountName")
    if not any(s.get("kind") == "ServiceAccount" and s.get("name") == sa and
               s.get("namespace") == NAMESPACE for s in rb.get("subjects", [])):
        raise Invalid("the RoleBinding does not name ServiceAccount %s/%s" % (NAMESPACE, sa))
    if objs["_variant"] in ("base", "."):
        if rb["roleRef"] != {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                             "name": "system:openshift:scc:privileged"}:
            raise Invalid("roleRef %s: expected ClusterRole system:openshift:scc:privileged"
                          % rb["roleRef"])
        return
    roles = {d["metadata"]["name"]: d for _, d in objs.get("ClusterRole", [])}
    role = roles.get(rb["roleRef"].get("name"))
    if rb["roleRef"].get("kind") != "ClusterRole" or not role:
        raise Invalid("roleRef %s: no such ClusterRole here" % rb["roleRef"])
    if not any(r.get("apiGroups") == ["security.openshift.io"] and
               r.get("resources") == ["securitycontextconstraints"] and
               r.get("resourceNames") == ["tunleak"] and r.get("verbs") == ["use"]
               for r in role.get("rules", [])):
        raise Invalid("ClusterRole %s does not grant use of the SCC tunleak (and only it)"
                      % role["metadata"]["name"])


def check_scc_admits(objs):
    """OpenShift's admission, for what the DaemonSet asks: the SCC tunleak
    admits its pods, and allows nothing they do not need."""
    scc = one(objs, "SecurityContextConstraints")
    if scc["metadata"]["name"] != "tunleak":
        raise Invalid("the SCC is %r, the pods ask for tunleak" % scc["metadata"]["name"])
    ps = pod_spec(objs)
    sc = container(objs).get("securityContext") or {}
    if scc.get("allowPrivilegedContainer"):
        raise Invalid("the SCC allows privileged containers")
    for field, want in (("allowHostPID", ps.get("hostPID", False)),
                        ("allowHostNetwork", ps.get("hostNetwork", False)),
                        ("allowHostPorts", ps.get("hostNetwork", False)),
                        ("allowHostIPC", ps.get("hostIPC", False))):
        if bool(scc.get(field)) != bool(want):
            raise Invalid("SCC %s is %r, the pods need %r" % (field, scc.get(field), want))
    allowed = set(scc.get("allowedCapabilities") or [])
    add = set((sc.get("capabilities") or {}).get("add") or [])
    if allowed != add:
        raise Invalid("SCC allowedCapabilities %s, the container adds %s" % (sorted(allowed), sorted(add)))
    kinds = {"hostPath" if "hostPath" in v else "configMap" if "configMap" in v else "other"
             for v in ps.get("volumes", [])}
    if set(scc.get("volumes", [])) != kinds or not scc.get("allowHostDirVolumePlugin"):
        raise Invalid("SCC volumes %s, the pods use %s" % (scc.get("volumes"), sorted(kinds)))
    if (scc.get("seLinuxContext") or {}).get("type") != "RunAsAny":
        raise Invalid("SCC seLinuxContext must be RunAsAny for the pods' type spc_t")
    if (scc.get("runAsUser") or {}).get("type") != "RunAsAny" and sc.get("runAsUser") == 0:
        raise Invalid("SCC runAsUser does not admit root")
    if "runtime/default" not in (scc.get("seccompProfiles") or []):
        raise Invalid("SCC seccompProfiles lacks runtime/default")
    if sc.get("readOnlyRootFilesystem") is not True and scc.get("readOnlyRootFilesystem"):
        raise Invalid("SCC requires a read-only root, the container does not have one")


def check_dashboard(objs):
    """The console's dashboard: a ConfigMap in openshift-config-managed
    labelled for it, Grafana JSON inside, one panel per figure."""
    cms = [d for _, d in objs.get("ConfigMap", []) if d["metadata"].get("namespace") == DASHBOARD_NAMESPACE]
    if len(cms) != 1:
        raise Invalid("expected one ConfigMap in %s, found %d" % (DASHBOARD_NAMESPACE, len(cms)))
    cm = cms[0]
    if cm["metadata"].get("labels", {}).get("console.openshift.io/dashboard") != "true":
        raise Invalid("the ConfigMap lacks the label console.openshift.io/dashboard: \"true\"")
    if len(cm.get("data", {})) != 1 or not list(cm["data"])[0].endswith(".json"):
        raise Invalid("the ConfigMap must hold one NAME.json, has %s" % sorted(cm.get("data", {})))
    try:
        dash = json.loads(list(cm["data"].values())[0])
    except ValueError as e:
        raise Invalid("the dashboard is not JSON: %s" % e)
    exprs = dashboard_exprs(dash)
    for want in ("tunleak_leak_packets_total", "tunleak_leak_flows", "tunleak_namespace_traced",
                 "tunleak_route_findings", "tunleak_events_unreported_total"):
        if not any(want in e for e in exprs):
            raise Invalid("no panel shows %s" % want)


def dashboard_exprs(dash):
    exprs = []
    for p in dash.get("panels", []):
        if not p.get("title") or not p.get("targets"):
            raise Invalid("panel %r: needs a title and targets" % p.get("title"))
        for t in p["targets"]:
            if not t.get("expr"):
                raise Invalid("panel %r: a target without expr" % p["title"])
            exprs.append(t["expr"])
    return exprs


def check_series(objs):
    """Every tunleak_* series the alerts use is one tunleak serves
    (user/out/export.c), or one that is coming (WAITING)."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        with open(os.path.join(here, "..", "..", "user", "out", "export.c")) as f:
            served = set(re.findall(r'"(tunleak_[a-z_]+)"', f.read()))
    except OSError as e:
        raise Invalid("user/out/export.c: %s" % e)
    text = json.dumps(one(objs, "PrometheusRule")["spec"])
    for name in sorted(set(re.findall(r"\b(tunleak_[a-z_]+)", text))):
        if name not in served and name not in WAITING:
            raise Invalid("the alerts use %s, which tunleak does not serve" % name)


CHECKS = [
    # (name, function, variants it applies to; None: every one with a DaemonSet)
    ("namespace", check_namespace, None),
    ("daemonset-pods", check_daemonset_pods, None),
    ("daemonset-resources", check_resources, None),
    ("daemonset-volumes", check_volumes, None),
    ("daemonset-args", check_args, None),
    ("daemonset-probes", check_probes, None),
    ("service-selects-pods", check_service, None),
    ("servicemonitor-selects-service", check_servicemonitor, None),
    ("podmonitor-selects-pods", check_podmonitor, ("base",)),
    ("alert-tunleakleak", check_alert, None),
    ("alerts", check_alerts, None),
    ("series", check_series, ("base",)),
    ("scc-rolebinding", check_scc, None),
    ("scc-admits", check_scc_admits, ("openshift-unprivileged",)),
    ("dashboard", check_dashboard, ("dashboards",)),
]
# what each variant must be: the unprivileged ones carry the same objects
VARIANTS = {
    ".": "the default (base/)", "base": "privileged", "unprivileged": "capabilities",
    "openshift-unprivileged": "capabilities and the SCC", "dashboards": "the console's dashboard",
}


def validate(directory):
    """[(name, error or None)] for every manifest and every check."""
    return validate_files(load(directory), directory)


def validate_files(files, directory):
    """validate() over already loaded files."""
    results = []
    for name, docs in files.items():
        try:
            validate_file(name, docs)
            results.append((name, None))
        except Invalid as e:
            results.append((name, str(e)))
    try:
        with open(os.path.join(directory, "README.md")) as f:
            README_TEXT["text"] = f.read()
    except OSError:
        README_TEXT["text"] = ""
    found = variants(directory) if os.path.isfile(os.path.join(directory, "kustomization.yaml")) else {}
    found = dict(found, **{".": "."}) if found or os.path.isfile(
        os.path.join(directory, "kustomization.yaml")) else found
    for v in VARIANTS:
        if v not in found:
            results.append(("%s/build" % v, "no %s/kustomization.yaml (%s)" % (v, VARIANTS[v])))
    for v in sorted(found):
        if v not in VARIANTS:
            results.append(("%s/build" % v, "a variant this check does not know"))
            continue
        try:
            pairs = kustomize(files, directory, v)
            if v == "base":
                pairs += [(n, copy.deepcopy(d)) for n in files if n.startswith("alternatives/")
                          and not isinstance(files[n], Invalid) for d in files[n]]
            for n, d in pairs:
                validate_doc(d)
            results.append(("%s/build" % v, None))
        except Invalid as e:
            results.append(("%s/build" % v, str(e)))
            continue
        objs = index(pairs)
        objs["_variant"] = v
        for name, fn, only in CHECKS:
            if only is None and ("DaemonSet" not in objs) or only is not None and v not in only:
                continue
            try:
                fn(objs)
                results.append(("%s/check/%s" % (v, name), None))
            except (Invalid, KeyError, TypeError, AttributeError) as e:
                results.append(("%s/check/%s" % (v, name), str(e) if isinstance(e, Invalid)
                                else "missing or malformed: %s %s" % (type(e).__name__, e)))
    try:
        check_listed(files)
        results.append(("check/every-file-used", None))
    except Invalid as e:
        results.append(("check/every-file-used", str(e)))
    return results


def check_listed(files):
    """Every manifest is part of a variant (or an alternative)."""
    used = set()
    for name, docs in files.items():
        if name.endswith("kustomization.yaml") and not isinstance(docs, Invalid):
            k = docs[0]
            rel = os.path.dirname(name)
            used |= {os.path.normpath(os.path.join(rel, r)) for r in k.get("resources", [])}
            used |= {os.path.normpath(os.path.join(rel, pt["path"])) for pt in k.get("patches", [])}
    left = [n for n in files if not n.endswith("kustomization.yaml") and
            not n.startswith("alternatives/") and n not in used]
    if left:
        raise Invalid("in no kustomization: %s" % ", ".join(sorted(left)))


README_TEXT = {}


# --- self-test: broken copies must be refused ---------------------------------------

def ds_container(d):
    return d["spec"]["template"]["spec"]["containers"][0]


def leak_rule(d):
    return [r for r in d["spec"]["groups"][0]["rules"] if r.get("alert") == "TunleakLeak"][0]


B = "base/"
BREAKS = [
    # (name, file, change, what the error must say)
    ("unknown-field", B + "daemonset.yaml",
     lambda d: ds_container(d).update(imagePullPolicyy="Always"),
     "containers[0].imagePullPolicyy: unknown field"),
    ("missing-required", B + "daemonset.yaml",
     lambda d: ds_container(d).pop("name"), "`name`, must not be `None`"),
    ("wrong-type", B + "daemonset.yaml",
     lambda d: d["spec"]["template"]["spec"].update(hostPID="yes"), "hostPID: expected true or false"),
    ("missing-template", B + "daemonset.yaml",
     lambda d: d["spec"].pop("template"), "`template`, must not be `None`"),
    ("service-unknown-field", B + "service.yaml",
     lambda d: d["spec"]["ports"][0].update(target_port=9464), "target_port: unknown field"),
    ("service-selector", B + "service.yaml",
     lambda d: d["spec"].update(selector={"app": "other"}), "selects no DaemonSet pod"),
    ("servicemonitor-port", B + "servicemonitor.yaml",
     lambda d: d["spec"]["endpoints"][0].update(port="metric"), "endpoint port 'metric'"),
    ("servicemonitor-unknown-field", B + "servicemonitor.yaml",
     lambda d: d["spec"]["endpoints"][0].update(honourLabels=True), "honourLabels: unknown field"),
    ("servicemonitor-missing-endpoints", B + "servicemonitor.yaml",
     lambda d: d["spec"].pop("endpoints"), "spec.endpoints: required"),
    ("servicemonitor-bad-interval", B + "servicemonitor.yaml",
     lambda d: d["spec"]["endpoints"][0].update(interval="30 seconds"), "does not match"),
    ("servicemonitor-no-job", B + "servicemonitor.yaml",
     lambda d: d["spec"]["endpoints"][0]["relabelings"].pop(), "does not set job to tunleak"),
    ("podmonitor-selector", "alternatives/podmonitor.yaml",
     lambda d: d["spec"]["selector"].update(matchLabels={"app": "x"}), "selects no DaemonSet pod"),
    ("podmonitor-honorlabels", "alternatives/podmonitor.yaml",
     lambda d: d["spec"]["podMetricsEndpoints"][0].update(honorLabels=True), "honorLabels: true"),
    ("netns-propagation", B + "daemonset.yaml",
     lambda d: [m.pop("mountPropagation", None) for m in ds_container(d)["volumeMounts"]],
     "mountPropagation: HostToContainer"),
    ("containerd-socket-dir", B + "daemonset.yaml",
     lambda d: ds_container(d)["volumeMounts"].append(
         {"name": "containerd", "mountPath": "/run/containerd", "readOnly": True}),
     "/run/containerd is mounted"),
    ("bad-quantity", B + "daemonset.yaml",
     lambda d: ds_container(d)["resources"]["limits"].update(memory="128MB"), "not a quantity"),
    ("cpu-limit", B + "daemonset.yaml",
     lambda d: ds_container(d)["resources"]["limits"].update(cpu="500m"), "no CPU limit"),
    ("no-toleration", B + "daemonset.yaml",
     lambda d: d["spec"]["template"]["spec"].pop("tolerations"), "toleration"),
    ("probe-port", B + "daemonset.yaml",
     lambda d: ds_container(d)["livenessProbe"]["httpGet"].update(port="metric"),
     "no such container port"),
    ("cidrs-from-key", B + "daemonset.yaml",
     lambda d: ds_container(d)["args"].__setitem__(-1, "/etc/tunleak/cluster.json"),
     "has no key 'cluster.json'"),
    ("metrics-port", B + "daemonset.yaml",
     lambda d: ds_container(d)["args"].__setitem__(2, ":9465"), "not the container port"),
    ("configmap-not-json", B + "configmap.yaml",
     lambda d: d["data"].update({"network.json": "{spec: }"}), "not JSON"),
    ("configmap-no-cidrs", B + "configmap.yaml",
     lambda d: d["data"].update({"network.json": "{\"spec\": {}}"}), "no spec (or status)"),
    ("wrong-namespace", B + "service.yaml",
     lambda d: d["metadata"].update(namespace="default"), "metadata.namespace is 'default'"),
    ("alert-by-target-pod", B + "prometheusrule.yaml",
     lambda d: leak_rule(d).update(
         expr="sum by (node, k8s_namespace, pod) (increase(tunleak_leak_packets_total[5m])) > 0"),
     "expected sum by (node, netns, k8s_namespace, k8s_pod)"),
    ("alert-description", B + "prometheusrule.yaml",
     lambda d: leak_rule(d)["annotations"].update(description="leak"), "tunleak check --pod"),
    ("alert-names-tunleaks-pod", B + "prometheusrule.yaml",
     lambda d: leak_rule(d)["annotations"].update(
         summary=leak_rule(d)["annotations"]["summary"] + " {{ $labels.pod }}"),
     "name $labels.pod"),
    ("alert-missing", B + "prometheusrule.yaml",
     lambda d: d["spec"]["groups"][0]["rules"].pop(), "alerts missing"),
    ("alert-unknown-series", B + "prometheusrule.yaml",
     lambda d: d["spec"]["groups"][0]["rules"][-1].update(expr="tunleak_iface_up == 0"),
     "which tunleak does not serve"),
    ("rule-alert-and-record", B + "prometheusrule.yaml",
     lambda d: d["spec"]["groups"][0]["rules"][0].update(record="x"), "not both"),
    ("scc-subject", B + "scc-rolebinding.yaml",
     lambda d: d["subjects"][0].update(name="default"), "does not name ServiceAccount"),
    ("unknown-kind", B + "namespace.yaml",
     lambda d: d.update(kind="Namespaces"), "unknown kind"),
    ("kustomization-missing", B + "kustomization.yaml",
     lambda d: d["resources"].append("rbac.yaml"), "not in the directory"),
    ("file-in-no-kustomization", B + "kustomization.yaml",
     lambda d: d["resources"].remove("service.yaml"), "in no kustomization: base/service.yaml"),
    ("unprivileged-cap-missing", "unprivileged/daemonset-patch.yaml",
     lambda d: d[0]["value"]["capabilities"]["add"].remove("SYS_PTRACE"), "expected exactly"),
    ("unprivileged-no-drop", "unprivileged/daemonset-patch.yaml",
     lambda d: d[0]["value"]["capabilities"].pop("drop"), "expected [ALL]"),
    ("unprivileged-privileged", "unprivileged/daemonset-patch.yaml",
     lambda d: d[0]["value"].update(privileged=True), "privileged in an unprivileged variant"),
    ("unprivileged-no-escalation", "unprivileged/daemonset-patch.yaml",
     lambda d: d[0]["value"].update(allowPrivilegeEscalation=False), "the API refuses it"),
    ("unprivileged-selinux", "unprivileged/daemonset-patch.yaml",
     lambda d: d[0]["value"].pop("seLinuxOptions"), "spc_t"),
    ("unprivileged-patch-path", "unprivileged/daemonset-patch.yaml",
     lambda d: d[1].update(path="/spec/template/metadata/annotationz/x"), "no annotationz"),
    ("unprivileged-rolebinding", "unprivileged/rolebinding-patch.yaml",
     lambda d: d[1].update(value="system:openshift:scc:privileged"), "no such ClusterRole"),
    ("scc-privileged", "openshift-unprivileged/scc.yaml",
     lambda d: d.update(allowPrivilegedContainer=True), "allows privileged containers"),
    ("scc-caps", "openshift-unprivileged/scc.yaml",
     lambda d: d["allowedCapabilities"].append("SYS_MODULE"), "allowedCapabilities"),
    ("scc-no-hostpid", "openshift-unprivileged/scc.yaml",
     lambda d: d.update(allowHostPID=False), "allowHostPID"),
    ("scc-unknown-field", "openshift-unprivileged/scc.yaml",
     lambda d: d.update(allowHostPid=True), "allowHostPid: unknown field"),
    ("dashboard-label", "dashboards/kustomization.yaml",
     lambda d: d["configMapGenerator"][0]["options"]["labels"].pop("console.openshift.io/dashboard"),
     "console.openshift.io/dashboard"),
    ("dashboard-namespace", "dashboards/kustomization.yaml",
     lambda d: d["configMapGenerator"][0].update(namespace="tunleak"), "one ConfigMap in"),
]


def self_test(directory):
    """Each break written to a copy of the directory, which must fail."""
    files = load(directory)
    base = [r for r in validate_files(files, directory) if r[1]]
    if base:
        return [("self-test/baseline", "the manifests themselves fail: %s" % base[0][1])]
    breaks = list(BREAKS)
    breaks.append(("not-yaml", B + "daemonset.yaml", "spec: [unclosed\n", "not YAML"))
    breaks.append(("dashboard-not-json", "dashboards/tunleak.json", "{", "not JSON"))
    results = []
    with tempfile.TemporaryDirectory(prefix="tunleak-deploy-") as tmp:
        # the unbroken copy passes: the copying itself changes nothing
        same_dir = os.path.join(tmp, "same")
        shutil.copytree(directory, same_dir)
        for name, docs in files.items():
            if not isinstance(docs, Invalid):
                with open(os.path.join(same_dir, name), "w") as f:
                    yaml.safe_dump_all(docs, f, sort_keys=False)
        same = [e for _, e in validate(same_dir) if e]
        results.append(("self-test/copy", "a faithful copy fails: %s" % same[0] if same else None))
        for i, (name, fname, fn, want) in enumerate(breaks):
            out = os.path.join(tmp, str(i))
            shutil.copytree(directory, out)
            with open(os.path.join(out, fname), "w") as f:
                if isinstance(fn, str):
                    f.write(fn)
                else:
                    docs = copy.deepcopy(files[fname])
                    fn(docs[0])
                    yaml.safe_dump_all(docs, f, sort_keys=False)
            errors = [e for _, e in validate(out) if e]
            if any(want in e for e in errors):
                results.append(("self-test/" + name, None))
            elif errors:
                results.append(("self-test/" + name, "refused, but not for %r: %s" % (want, errors[0])))
            else:
                results.append(("self-test/" + name, "the broken copy was accepted"))
    return results


def main():
    args = sys.argv[1:]
    selftest = "--self-test" in args
    args = [a for a in args if a != "--self-test"]
    if args and args[0] == "--build":
        # the objects of one variant as JSON, sorted, to compare with kustomize's
        directory = args[2] if len(args) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "deploy")
        objs = [d for _, d in kustomize(load(directory), directory, args[1])]
        json.dump(sorted(objs, key=lambda d: (d["kind"], d["metadata"]["name"])), sys.stdout,
                  sort_keys=True, indent=1)
        return
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
