"""Target settings that are templates: ``namespaceTemplate``, ``kueueQueue``, ``hostPattern``.

A template is text with placeholders in braces, each one of its setting's documented names
(``PLACEHOLDERS``); ``fill`` replaces them and nothing else (no ``str.format``: no attribute
lookups, no indexes, no conversions). ``template_error`` says why a template cannot work: an
unknown placeholder, a lone brace, or literal text that could never make the name the setting
must produce (``namespaceTemplate`` a DNS-1123 label, so that it is a safe folder name too;
``kueueQueue`` a label value; ``hostPattern`` a DNS name). ``name_error`` checks a filled-in
result; ``namespace_error`` also refuses the cluster's own namespaces unless they are allowed.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "namespaceTemplate": ("project", "department"),
    "kueueQueue": ("project", "namespace", "workload"),
    "hostPattern": ("workload", "project", "namespace"),
}
#: Namespaces of Kubernetes itself: a project may use one only when wlc.yaml allows it.
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")


def _label(text: str) -> bool:
    return len(text) <= 63 and _DNS_LABEL.fullmatch(text) is not None


def _label_value(text: str) -> bool:
    return len(text) <= 63 and _LABEL_VALUE.fullmatch(text) is not None


def _host(text: str) -> bool:
    bare = text.lower().removeprefix("*.")
    return len(bare) <= 253 and _DNS_SUBDOMAIN.fullmatch(bare) is not None


#: setting → (check of a filled-in result, what the result must be)
_LABEL_TEXT = ('a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a '
               "letter or digit, at most 63 characters)")
_VALUE_TEXT = ('a Kubernetes label value (at most 63 letters, digits, "-", "_" or ".", starting '
               "and ending with a letter or digit)")
RESULTS: dict[str, tuple[Callable[[str], bool], str]] = {
    "namespaceTemplate": (_label, _LABEL_TEXT),
    "kueueQueue": (_label_value, _VALUE_TEXT),
    "hostPattern": (_host, 'a DNS name (lowercase letters, digits, "-" and ".")'),
}


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{name}`` of ``values`` replaced (other braces stay as written)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def template_error(setting: str, template: str) -> str | None:
    """Why ``template`` cannot be the value of ``setting``; None when it can."""
    allowed = PLACEHOLDERS[setting]
    names = ", ".join("{" + n + "}" for n in allowed)
    for m in _PLACEHOLDER.finditer(template):
        if m.group(1) not in allowed:
            return f'unknown placeholder "{m.group(0)}" (the placeholders of {setting} are {names})'
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        return f'a "{{" or "}}" that is not part of a placeholder ({names})'
    sample = fill(template, {n: "x" for n in allowed})
    check, what = RESULTS[setting]
    if not check(sample):
        return f"does not make {what}: it gives names such as {sample!r}"
    return None


def name_error(setting: str, value: str) -> str | None:
    """Why the filled-in ``value`` of ``setting`` is not a valid name; None when it is."""
    check, what = RESULTS[setting]
    return None if check(value) else f"{value!r} is not {what}"


def namespace_error(namespace: str, allowed: Iterable[str]) -> str | None:
    """Why ``namespace`` cannot be a project's namespace; None when it can."""
    error = name_error("namespaceTemplate", namespace)
    if error is not None:
        return error
    if namespace in SYSTEM_NAMESPACES and namespace not in set(allowed):
        return (f'"{namespace}" is a Kubernetes system namespace; a project may use it only when '
                f"wlc.yaml lists it in spec.allowSystemNamespaces")
    return None
