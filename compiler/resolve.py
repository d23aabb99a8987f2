"""Stage 4, resolve: project and department, then templates and assets merged under the spec.

Layers, lowest first: environment asset, compute-resource asset, data-source assets, the
template's own fields, the submission. The submission wins; itemized lists merge by key.
"""
from __future__ import annotations

from .assets import data_source_key, data_source_spec, environment_spec
from .merge import SECTIONS, dotted, find_exclusions, merge, tag, untag
from .model import Data, Doc, Exclusions, Leaf, Path, Project, ResolvedWorkload, Source, TaggedSpec
from .problems import Problem
from .repo import Repo, suggest

REFERENCE_FIELDS = ("template", "environment", "dataSources", "project")
#: A spec as written in a document (the YAML edge: its values are narrowed where they are read).
RawSpec = dict[str, Data]


class _Ctx:
    """What resolving one workload collects."""

    def __init__(self, repo: Repo, doc: Doc) -> None:
        self.repo, self.doc = repo, doc
        self.problems: list[Problem] = []
        #: set when a referenced document failed validation: the workload is not lowered, and
        #: the reference is not reported again (the broken document already was)
        self.tainted = False

    def problem(self, path: Path, code: str, message: str, doc: Doc | None = None) -> None:
        d = doc or self.doc
        line, col = d.loc(path)
        self.problems.append(Problem(d.file, line, col, code, message, field=dotted(path)))

    def asset(self, kind: str, name: Data, path: Path, doc: Doc | None = None) -> Doc | None:
        found = self.repo.get(kind, str(name))
        if (kind, str(name)) in self.repo.broken:
            self.tainted = True
        elif found is None:
            choices = self.repo.names(kind)
            self.problem(path, "resolve.missing-asset",
                         f'{kind} "{name}" not found' + suggest(str(name), choices), doc)
        return found


def source_of(kind: str, doc: Doc) -> Source:
    return Source(kind, doc.name, doc.file, doc.loc(("metadata", "name"))[0])


def resolve_workload(repo: Repo, doc: Doc, folder: str) -> tuple[ResolvedWorkload | None, list[Problem]]:
    """The resolved workload, or None with problems when its project is unknown."""
    ctx = _Ctx(repo, doc)
    spec = doc.data.get("spec") or {}
    project = _project(ctx, folder, spec)
    if project is None:
        return None, ctx.problems
    tree = _layers(ctx, spec)
    tree = _credentials(ctx, tree)
    if ctx.tainted:
        return None, ctx.problems
    data, prov = untag(tree)
    meta = doc.data.get("metadata") or {}
    rw = ResolvedWorkload(doc.kind, doc.name, project, data, prov, doc,
                          dict(meta.get("labels") or {}), dict(meta.get("annotations") or {}),
                          _exclusions(repo, doc, spec))
    return rw, ctx.problems


def _project(ctx: _Ctx, folder: str, spec: RawSpec) -> Project | None:
    """The project of the workload's folder (None, with a problem unless the Project document
    itself is broken, when there is none); a spec that names another project is a problem."""
    project = ctx.repo.projects.get(folder)
    if project is None:
        if ("Project", folder) not in ctx.repo.broken:
            ctx.problem(("kind",), "resolve.unknown-project",
                        f'{ctx.doc.kind} "{ctx.doc.name}" is in folder "{folder}" but there is no Project '
                        f'"{folder}"' + suggest(folder, sorted(ctx.repo.projects)))
        return None
    named = spec.get("project")
    if named is not None and named != folder:
        ctx.problem(("spec", "project"), "resolve.wrong-project",
                    f'spec.project is "{named}" but the file is in the folder of project "{folder}"')
    return project


def _exclusions(repo: Repo, doc: Doc, spec: RawSpec) -> Exclusions:
    """The inherited items that the submission, then its template, excluded."""
    sources: list[tuple[Doc, object, Path]] = [(doc, spec, ("spec",))]
    template = repo.get("Template", str(spec["template"])) if spec.get("template") else None
    if template is not None:
        sources.append((template, template.data.get("spec") or {}, ("spec",)))
    return find_exclusions(sources)


def _layers(ctx: _Ctx, spec: RawSpec) -> TaggedSpec:
    template_doc = ctx.asset("Template", spec["template"], ("spec", "template")) if "template" in spec else None
    tspec = (template_doc.data.get("spec") or {}) if template_doc else {}
    layers = _asset_layers(ctx, spec, tspec, template_doc, ("spec",))
    for role in SECTIONS:  # a distributed master/worker section may name assets of its own
        section, tsection = spec.get(role), tspec.get(role)
        layers += [{role: layer} for layer in _asset_layers(
            ctx, section if isinstance(section, dict) else {}, tsection if isinstance(tsection, dict) else {},
            template_doc, ("spec", role))]
    if template_doc is not None:
        layers.append(_asset_layer(ctx.repo, template_doc))
    layers.append(tag(_inline(spec), Source("submission", "", ctx.doc.file), doc=ctx.doc))
    tree: TaggedSpec = {}
    for layer in layers:
        tree = merge(tree, layer)
    return tree


def _asset_layers(ctx: _Ctx, spec: RawSpec, tspec: RawSpec, template_doc: Doc | None,
                  base: Path) -> list[TaggedSpec]:
    """The environment, compute-resource and data-source layers a spec (or a section of it, at
    ``base``) names, itself or through its template."""
    layers: list[TaggedSpec] = []
    env_name, env_path, env_doc = _ref(spec, tspec, "environment", template_doc, base)
    if env_name is not None:
        found = ctx.asset("Environment", env_name, env_path, env_doc)
        if found:
            _environment_type(ctx, found, env_path)
            layers.append(_asset_layer(ctx.repo, found))
    compute = _compute_ref(spec, tspec, template_doc, base)
    if compute is not None:
        found = ctx.asset("ComputeResource", compute[0], compute[1], compute[2])
        if found:
            layers.append(_asset_layer(ctx.repo, found))
    for name, path, owner in _data_sources(spec, tspec, template_doc, base):
        found = ctx.asset("DataSource", name, path, owner)
        if found:
            layers.append(_asset_layer(ctx.repo, found))
    return layers


def _asset_layer(repo: Repo, doc: Doc) -> TaggedSpec:
    """The tagged layer of an asset or template, built once per repo (layers are never mutated:
    merging copies what it changes)."""
    key = (doc.kind, doc.name)
    layer = repo.layers.get(key)
    if layer is None:
        layer = repo.layers[key] = _make_layer(doc)
    return layer


def _make_layer(doc: Doc) -> TaggedSpec:
    spec: RawSpec = doc.data.get("spec") or {}
    if doc.kind == "Environment":
        return tag(environment_spec(spec), source_of("environment", doc), doc=doc)
    if doc.kind == "ComputeResource":
        return tag({"compute": spec}, source_of("compute", doc), doc=doc, strip=1)
    if doc.kind == "DataSource":
        return tag(data_source_spec(doc), source_of("dataSource", doc), doc=doc,
                   base=("spec", data_source_key(doc)), strip=3)
    return tag(_inline(spec), source_of("template", doc), doc=doc)


def _ref(spec: RawSpec, tspec: RawSpec, key: str, template_doc: Doc | None,
         base: Path) -> tuple[Data, Path, Doc | None]:
    if key in spec:
        return spec[key], base + (key,), None
    if key in tspec:
        return tspec[key], base + (key,), template_doc
    return None, (), None


def _compute_ref(spec: RawSpec, tspec: RawSpec, template_doc: Doc | None,
                 base: Path) -> tuple[str, Path, Doc | None] | None:
    own, inherited = spec.get("compute"), tspec.get("compute")
    if isinstance(own, str):
        return own, base + ("compute",), None
    if "compute" not in spec and isinstance(inherited, str):
        return inherited, base + ("compute",), template_doc
    return None


def _data_sources(spec: RawSpec, tspec: RawSpec, template_doc: Doc | None,
                  base: Path) -> list[tuple[str, Path, Doc | None]]:
    out: list[tuple[str, Path, Doc | None]] = []
    seen: set[str] = set()
    for owner_spec, owner in ((tspec, template_doc), (spec, None)):
        names = owner_spec.get("dataSources")
        for i, name in enumerate(names if isinstance(names, list) else []):
            if str(name) not in seen:
                seen.add(str(name))
                out.append((str(name), base + ("dataSources", i), owner))
    return out


def _inline(spec: RawSpec) -> RawSpec:
    """The spec without its asset references (those become layers of their own)."""
    out = {k: v for k, v in spec.items() if k not in REFERENCE_FIELDS}
    if isinstance(out.get("compute"), str):
        del out["compute"]
    for role in SECTIONS:
        section = out.get(role)
        if isinstance(section, dict):
            out[role] = _inline(section)
    return out


def _environment_type(ctx: _Ctx, doc: Doc, path: Path) -> None:
    types = (doc.data.get("spec") or {}).get("workloadTypes")
    if types and ctx.doc.kind not in types:
        ctx.problem(path, "resolve.environment-type",
                    f'Environment "{doc.name}" is for {", ".join(types)}, not {ctx.doc.kind}')


def _credentials(ctx: _Ctx, tree: TaggedSpec) -> TaggedSpec:
    """Environment variables that name a Credential asset read its existing Secret."""
    env = tree.get("environmentVariables")
    if not isinstance(env, list):
        return tree
    for i, item in enumerate(env):
        cred = item.get("credential") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(cred, dict):
            continue
        found = _credential(ctx, cred, i)
        if found is None:
            continue
        secret = str((found.data.get("spec") or {}).get("secretName", found.name))
        src = source_of("credential", found)
        item = {k: v for k, v in item.items() if k != "credential"}
        item["secret"] = {"name": Leaf(secret, src), "key": cred.get("key", Leaf("password", src))}
        env = list(env)  # never mutate a shared layer
        env[i] = item
        tree["environmentVariables"] = env
    return tree


def _credential(ctx: _Ctx, cred: TaggedSpec, index: int) -> Doc | None:
    """The Credential document an environment variable names (None: broken or missing)."""
    leaf = cred.get("name")
    name = str(leaf.value if isinstance(leaf, Leaf) else None)
    if ("Credential", name) in ctx.repo.broken:
        ctx.tainted = True
        return None
    found = ctx.repo.get("Credential", name)
    if found is None:
        ctx.problem(("spec", "environmentVariables", index, "credential", "name"), "resolve.missing-asset",
                    f'Credential "{name}" not found' + suggest(name, ctx.repo.names("Credential")))
    return found
