"""Run:ai's ``key=value,key2=value2,word`` flag values (``--existing-pvc claimname=C,path=P,ro``)
as wlc list items: one parser per flag, each key mapped to the item's field."""
from __future__ import annotations

from .parse import Field, fields, integer, negate, semicolons, text

_RO: Field = (("readOnly",), None, True)
PVC_EXISTING = fields({"claimname": (("claimName",), text, None), "path": (("path",), text, None),
    "ro": _RO, "readonly": _RO}, fixed={"existingPvc": True})
PVC_NEW = fields({
    "claimname": (("claimName",), text, None), "path": (("path",), text, None),
    "size": (("claimInfo", "size"), text, None), "storageclass": (("claimInfo", "storageClass"), text, None),
    "accessmode-rwo": (("claimInfo", "accessModes", "readWriteOnce"), None, True),
    "accessmode-rom": (("claimInfo", "accessModes", "readOnlyMany"), None, True),
    "accessmode-rwm": (("claimInfo", "accessModes", "readWriteMany"), None, True),
    "ro": _RO, "ephemeral": (("ephemeral",), None, True)})
HOST_PATH = fields({"name": (("name",), text, None), "path": (("path",), text, None),
    "mount": (("mountPath",), text, None),
    "mount-propagation": (("mountPropagation",), text, None),
    "readwrite": (("readOnly",), negate, None)}, fixed={"readOnly": True})
NFS = fields({"name": (("name",), text, None), "server": (("server",), text, None),
    "path": (("path",), text, None), "mountpath": (("mountPath",), text, None),
    "readwrite": (("readOnly",), negate, None)}, fixed={"readOnly": True})
GIT = fields({"name": (("name",), text, None), "repository": (("repository",), text, None),
    "path": (("path",), text, None), "secret": (("secretName",), text, None),
    "rev": (("revision",), text, None), "branch": (("branch",), text, None)})
S3 = fields({"name": (("name",), text, None), "bucket": (("bucket",), text, None),
    "path": (("path",), text, None), "url": (("url",), text, None),
    "accesskey": (("accessKeySecret",), text, None),
    "accesskeyid-key": (("secretKeyOfAccessKeyId",), text, None),
    "secretkey-key": (("secretKeyOfSecretKey",), text, None)})
CONFIGMAP = fields({"name": (("configMap",), text, None), "path": (("mountPath",), text, None),
    "volume": (("name",), text, None)})
SECRET = fields({"name": (("secret",), text, None), "path": (("mountPath",), text, None),
    "volume": (("name",), text, None)})
PORT = fields({"container": (("container",), integer, None), "external": (("external",), integer, None),
    "service-type": (("serviceType",), text, None), "name": (("name",), text, None)},
    bare="container")
URL = fields({"container": (("container",), integer, None), "url": (("url",), text, None),
    "authusers": (("authorizedUsers",), semicolons, None),
    "authgroups": (("authorizedGroups",), semicolons, None), "name": (("name",), text, None)})
TOLERATION = fields({"name": (("name",), text, None), "operator": (("operator",), text, None),
    "key": (("key",), text, None), "value": (("value",), text, None),
    "effect": (("effect",), text, None), "seconds": (("seconds",), integer, None)})
SERVING = fields({"container": (("container",), integer, None), "protocol": (("protocol",), text, None),
    "authorization-type": (("authorizationType",), text, None),
    "authorized-users": (("authorizedUsers",), semicolons, None),
    "authorized-groups": (("authorizedGroups",), semicolons, None)}, bare="container")
