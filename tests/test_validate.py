"""The validate stage: good documents pass; each kind of mistake gives exactly one clear problem."""
from __future__ import annotations

import copy
import random
from textwrap import dedent
from typing import Any

import pytest

from compiler.load import parse_documents
from compiler.model import NATIVE_KINDS, Doc
from compiler.schemas import COMPILE_AFTER, validator_for
from compiler.validate import validate_doc


def docs_of(text: str) -> list[Doc]:
    docs, problems = parse_documents(dedent(text), "w.yaml")
    assert problems == []
    return docs


def problems(text: str) -> list[str]:
    """``line:col code field | message`` of every problem of every document in ``text``."""
    return [f"{p.line}:{p.col} {p.code} {p.field} | {p.message}"
            for doc in docs_of(text) for p in validate_doc(doc)]


def workload(spec: str, kind: str = "TrainingWorkload", name: str = "train-1") -> str:
    """A workload document; ``spec`` lines start at line 6, indented by two spaces."""
    body = dedent(spec).strip("\n").replace("\n", "\n  ")
    return f"apiVersion: wlc.dev/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n  {body}\n"


# --- good documents ----------------------------------------------------------------------------

GOOD = {
    "TrainingWorkload": """
        apiVersion: wlc.dev/v1alpha1
        kind: TrainingWorkload
        metadata:
          name: resnet-train
          labels: {team: vision, app.kubernetes.io/part-of: resnet}
          annotations: {owner: "ana@example.com"}
        spec:
          project: vision
          active: true
          template: pytorch-train
          environment: pytorch
          dataSources: [imagenet]
          image: nvcr.io/nvidia/pytorch:24.05-py3
          imagePullPolicy: IfNotPresent
          command: torchrun train.py
          args: --epochs 10 --lr 0.001
          workingDir: /workspace
          createHomeDir: true
          environmentVariables:
            - {name: WANDB_MODE, value: offline}
            - {name: HF_TOKEN, secret: {name: hf, key: token}}
            - {name: S3_KEY, credential: {name: s3-creds, key: accessKey}}
            - {name: POD, podField: metadata.name}
            - {name: DB, value: "SECRET:db,password"}
            - {name: OLD, exclude: true}
          compute:
            gpuDevicesRequest: 2
            gpuRequestType: portion
            gpuPortionRequest: 0.5
            gpuPortionLimit: 1
            gpuMemoryRequest: 10Gi
            gpuMemoryLimit: 20Gi
            cpuCoreRequest: 0.5
            cpuCoreLimit: 8
            cpuMemoryRequest: 64Gi
            cpuMemoryLimit: 1e9
            largeShmRequest: true
            extendedResources:
              - {resource: hugepages-2Mi, quantity: 1Gi}
              - {resource: vendor.example.com/fpga, quantity: 1}
          storage:
            pvc:
              - claimName: datasets
                path: /data
                existingPvc: false
                readOnly: true
                ephemeral: false
                claimInfo:
                  size: 100Gi
                  storageClass: fast-ssd
                  accessModes: {readWriteOnce: true, readOnlyMany: false, readWriteMany: false}
                  volumeMode: Filesystem
            nfs: [{name: shared, server: nfs.example.com, path: /export, mountPath: /shared, readOnly: true}]
            hostPath: [{name: cache, path: /var/cache, mountPath: /cache, mountPropagation: HostToContainer}]
            git: [{name: code, repository: "https://github.com/x/y", branch: main, revision: abc123, path: /code, secretName: git-creds}]
            s3: [{name: bucket, bucket: data, path: /s3, url: "https://s3.example.com", accessKeySecret: s3-key}]
            configMapVolumes: [{name: cfg, configMap: train-config, mountPath: /etc/train, subPath: config.yaml}]
            secretVolume: [{name: certs, secret: tls-certs, mountPath: /etc/certs, defaultMode: 420}]
          security:
            uidGidSource: custom
            runAsUid: 1000
            runAsGid: 1000
            supplementalGroups: [100, 200]
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: false
            hostIpc: false
            hostNetwork: false
            capabilities: [SYS_PTRACE, NET_ADMIN]
            seccompProfileType: RuntimeDefault
          ports: [{container: 6006, serviceType: ClusterIP, external: 80, name: tensorboard, toolType: tensorboard, toolName: tb}]
          exposedUrls: [{container: 6006, url: tb.example.com/run1, authorizedUsers: [ana], authorizedGroups: [vision]}]
          nodePools: [a100, default]
          nodeType: dgx
          tolerations:
            - {name: gpu, operator: Exists, key: nvidia.com/gpu, effect: NoSchedule}
            - {name: spot, operator: Equal, key: spot, value: "true", effect: NoExecute, seconds: 60}
          podAffinitySchedulingRule: preferred
          podAffinityTopology: kubernetes.io/hostname
          priorityClass: train
          labels: [{name: cost-center, value: "1234"}]
          annotations: [{name: example.com/note, value: hello}]
          autoDeletionTimeAfterCompletionSeconds: 3600
          backoffLimit: 3
          completions: 2
          parallelism: 2
          terminateAfterPreemption: false
    """,
    "InteractiveWorkload": """
        apiVersion: wlc.dev/v1alpha1
        kind: InteractiveWorkload
        metadata: {name: notebook}
        spec:
          environment: jupyter-lab
          compute: small-gpu
          preemptible: true
          exposedUrls: [{container: 8888, url: nb.example.com}]
    """,
    "DistributedWorkload": """
        apiVersion: wlc.dev/v1alpha1
        kind: DistributedWorkload
        metadata: {name: llama-finetune}
        spec:
          framework: PyTorch
          workers: 4
          image: nvcr.io/nvidia/pytorch:24.05-py3
          compute: {gpuDevicesRequest: 8}
          master:
            command: torchrun --nnodes 5 train.py
            compute: {gpuDevicesRequest: 0, cpuCoreRequest: 4}
            environmentVariables: [{name: ROLE, value: master}]
          worker:
            compute: eight-gpus
            nodePools: [h100]
          cleanPodPolicy: Running
          minReplicas: 2
          maxReplicas: 8
          nonPreemptible: true
          backoffLimit: 0
          autoDeletionTimeAfterCompletionSeconds: 600
        ---
        apiVersion: wlc.dev/v1alpha1
        kind: DistributedWorkload
        metadata: {name: mpi-run}
        spec: {framework: MPI, workers: 2, slotsPerWorker: 8, noMaster: false}
        ---
        apiVersion: wlc.dev/v1alpha1
        kind: DistributedWorkload
        metadata: {name: tf-run}
        spec: {framework: TF, workers: 2, tfReplicas: {ps: 2, evaluator: 1}}
    """,
    "InferenceWorkload": """
        apiVersion: wlc.dev/v1alpha1
        kind: InferenceWorkload
        metadata: {name: llama-serve}
        spec:
          image: vllm/vllm-openai:v0.6.0
          compute: {gpuDevicesRequest: 1}
          servingPort: {container: 8000, protocol: http, authorizationType: authorizedUsersOrGroups,
                        authorizedUsers: [ana], authorizedGroups: [nlp]}
          autoscaling: {minReplicas: 1, maxReplicas: 4, metric: custom, metricName: queue_depth, threshold: 10}
          probes:
            readiness:
              initialDelaySeconds: 10
              periodSeconds: 5
              timeoutSeconds: 2
              successThreshold: 1
              failureThreshold: 3
              handler: {httpGet: {path: /health, port: 8000, scheme: HTTP}}
            liveness:
              handler: {tcpSocket: {port: http}}
        ---
        apiVersion: wlc.dev/v1alpha1
        kind: InferenceWorkload
        metadata: {name: grpc-serve}
        spec:
          servingPort: {container: 9000, protocol: grpc}
          probes:
            readiness: {handler: {grpc: {port: 9000, service: health}}}
            liveness: {handler: {exec: {command: [cat, /tmp/healthy]}}}
    """,
    "Environment": """
        apiVersion: wlc.dev/v1alpha1
        kind: Environment
        metadata: {name: jupyter-lab}
        spec:
          image: quay.io/jupyter/pytorch-notebook:latest
          imagePullPolicy: Always
          command: start-notebook.py
          workingDir: /home/jovyan
          environmentVariables: [{name: JUPYTER_ENABLE_LAB, value: "yes"}]
          security: {runAsUid: 1000}
          architecture: standard
          workloadTypes: [InteractiveWorkload]
          tools:
            - {name: jupyter, toolType: jupyter-notebook, connectionType: NodePort, containerPort: 8888}
            - {name: web, toolType: custom, connectionType: ExternalUrl, containerPort: 8080, url: "https://x.example.com"}
    """,
    "ComputeResource": """
        apiVersion: wlc.dev/v1alpha1
        kind: ComputeResource
        metadata: {name: mig-small}
        spec: {gpuDevicesRequest: 1, gpuRequestType: migProfile, migProfile: 1g.10gb, cpuMemoryRequest: 8Gi}
    """,
    "DataSource": """
        apiVersion: wlc.dev/v1alpha1
        kind: DataSource
        metadata: {name: imagenet}
        spec: {pvc: {claimName: imagenet, path: /data/imagenet, existingPvc: true, readOnly: true}}
        ---
        apiVersion: wlc.dev/v1alpha1
        kind: DataSource
        metadata: {name: config}
        spec: {configMap: {configMap: train-config, mountPath: /etc/train}}
    """,
    "Credential": """
        apiVersion: wlc.dev/v1alpha1
        kind: Credential
        metadata: {name: registry}
        spec: {type: docker-registry, secretName: registry-pull}
    """,
    "Template": """
        apiVersion: wlc.dev/v1alpha1
        kind: Template
        metadata: {name: pytorch-train}
        spec:
          environment: pytorch
          compute: {gpuDevicesRequest: 1}
          backoffLimit: 2
          framework: PyTorch
          autoscaling: {maxReplicas: 2}
    """,
    "Project": """
        apiVersion: wlc.dev/v1alpha1
        kind: Project
        metadata: {name: vision}
        spec: {department: research, namespace: runai-vision, nodePools: [a100], nodeTypes: [dgx]}
    """,
    "Department": """
        apiVersion: wlc.dev/v1alpha1
        kind: Department
        metadata: {name: research}
        spec: {description: Research teams}
    """,
    "Policy": """
        apiVersion: wlc.dev/v1alpha1
        kind: Policy
        metadata: {name: cluster-defaults}
        spec:
          scope: {cluster: true}
          workloadTypes: [TrainingWorkload, DistributedWorkload]
          defaults: {compute: {cpuCoreRequest: 1}}
          rules: {compute: {gpuDevicesRequest: {max: 4}}}
          imposedAssets: [imagenet]
        ---
        apiVersion: wlc.dev/v1alpha1
        kind: Policy
        metadata: {name: vision}
        spec: {scope: {project: vision}}
    """,
    "Overlay": """
        apiVersion: wlc.dev/v1alpha1
        kind: Overlay
        metadata: {name: prod}
        spec:
          bases: [base]
          target: {scheduler: runai, inference: knative, knativeFeatures: [kubernetes.podspec-tolerations]}
          specPatches:
            - select: {projects: ["vision*"], departments: [research], workloadTypes: [TrainingWorkload],
                       labels: {team: vision}, names: ["*-train"]}
              patch: {priorityClass: train}
          objectPatches:
            - select: {group: apps, kind: StatefulSet, name: "*", namespace: runai-vision, labels: {a: b}}
              jsonPatch:
                - {op: add, path: /metadata/labels/env, value: prod}
                - {op: remove, path: /spec/template/spec/nodeSelector}
                - {op: move, from: /a, path: /b}
            - select: {kind: Service}
              mergePatch: {metadata: {annotations: {x: y}}}
          commonLabels: {env: prod}
          commonAnnotations: {example.com/owner: platform}
          namespaces: {vision: team-vision}
    """,
    "Repository": """
        apiVersion: wlc.dev/v1alpha1
        kind: Repository
        metadata: {name: ml-repo}
        spec:
          workloadRoots: [workloads]
          exclude: ["tmp/**"]
          defaultOverlay: prod
          target:
            kubernetesVersion: "1.34"
            scheduler: kueue
            namespaceTemplate: "ml-{project}"
            distributed: native
            inference: kserve
            ingressClass: nginx
            hostPattern: "{workload}.{project}.example.com"
            gpuResource: nvidia.com/gpu
            nodePoolLabel: run.ai/node-pool
            gitSyncImage: registry.k8s.io/git-sync/git-sync:v4.4.0
            kueueQueue: "{project}"
            knativeFeatures: [kubernetes.podspec-affinity]
    """,
}


def test_every_kind_has_a_good_example() -> None:
    assert sorted(GOOD) == sorted(NATIVE_KINDS)


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_good_documents_have_no_problems(kind: str) -> None:
    assert problems(GOOD[kind]) == []


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_fast_and_full_validators_agree_on_good_documents(kind: str) -> None:
    for doc in docs_of(GOOD[kind]):
        v = validator_for(doc.kind)
        assert v.compiled()(doc.data) and v.full.is_valid(doc.data)


# --- bad documents: (spec lines, kind) → exact problems ------------------------------------------

BAD: dict[str, tuple[str, str, list[str]]] = {
    "unknown_field_suggests_the_closest_name": ("""
        compute:
          gpuDevicesRequests: 2
    """, "TrainingWorkload", [
        ('7:5 schema.unknown-field spec.compute.gpuDevicesRequests | unknown field '
        '"gpuDevicesRequests" in spec.compute (did you mean "gpuDevicesRequest"?)')]),
    "unknown_field_of_another_workload_type_names_it": ("""
        completions: 2
    """, "InteractiveWorkload", [
        ('6:3 schema.unknown-field spec.completions | unknown field "completions" in spec '
        '(completions belongs to TrainingWorkload)')]),
    "wrong_type_names_expected_and_got": ("""
        compute:
          gpuDevicesRequest: two
    """, "TrainingWorkload", [
        ('7:24 schema.type spec.compute.gpuDevicesRequest | spec.compute.gpuDevicesRequest: '
        'expected an integer, got string "two"')]),
    "number_where_a_string_is_expected_says_to_quote": ("""
        image: 3
    """, "TrainingWorkload", [
        ('6:10 schema.type spec.image | spec.image: expected a string, got integer 3 '
        '(put it in quotes)')]),
    "empty_value": ("""
        image:
    """, "TrainingWorkload", [
        '6:9 schema.type spec.image | spec.image: expected a string, got an empty value']),
    "bad_quantity": ("""
        compute:
          cpuMemoryRequest: 12 GB
    """, "TrainingWorkload", [
        ('7:23 schema.quantity spec.compute.cpuMemoryRequest | spec.compute.cpuMemoryRequest: '
        '"12 GB" is not a Kubernetes quantity (for example 512Mi, 4G)')]),
    "enum_with_case_suggestion": ("""
        imagePullPolicy: always
    """, "TrainingWorkload", [
        ('6:20 schema.enum spec.imagePullPolicy | spec.imagePullPolicy: "always" must be one of: '
        'Always, IfNotPresent, Never (did you mean "Always"?)')]),
    "mig_profile": ("""
        compute: {migProfile: 2g.40gb}
    """, "TrainingWorkload", [
        ('6:25 schema.enum spec.compute.migProfile | spec.compute.migProfile: "2g.40gb" must be '
        'one of: 1g.5gb, 1g.10gb, 2g.10gb, 2g.20gb, 3g.20gb, 3g.40gb, 4g.20gb, 4g.40gb, '
        '7g.40gb, 7g.80gb')]),
    "gpu_portion_above_one": ("""
        compute: {gpuPortionRequest: 1.5}
    """, "TrainingWorkload", [
        ('6:32 schema.range spec.compute.gpuPortionRequest | spec.compute.gpuPortionRequest: 1.5 '
        'is greater than 1 (the maximum)')]),
    "gpu_portion_zero": ("""
        compute: {gpuPortionRequest: 0}
    """, "TrainingWorkload", [
        ('6:32 schema.range spec.compute.gpuPortionRequest | spec.compute.gpuPortionRequest: 0 '
        'must be greater than 0')]),
    "missing_required_item_key_with_list_index": ("""
        storage:
          pvc:
            - path: /data
    """, "TrainingWorkload", [
        ('8:9 schema.required spec.storage.pvc[0].claimName | missing required field "claimName" '
        'in spec.storage.pvc[0]')]),
    "relative_mount_path": ("""
        storage:
          pvc: [{claimName: x, path: data}]
    """, "TrainingWorkload", [
        ('7:32 schema.pattern spec.storage.pvc[0].path | spec.storage.pvc[0].path: "data" must be '
        'an absolute path (starting with "/")')]),
    "toleration_operator": ("""
        tolerations: [{name: t, operator: In}]
    """, "TrainingWorkload", [
        ('6:37 schema.enum spec.tolerations[0].operator | spec.tolerations[0].operator: "In" must '
        'be one of: Equal, Exists')]),
    "port_out_of_range": ("""
        ports: [{container: 99999}]
    """, "InteractiveWorkload", [
        ('6:23 schema.range spec.ports[0].container | spec.ports[0].container: 99999 is greater '
        'than 65535 (the maximum)')]),
    "duplicate_node_pool": ("""
        nodePools: [a, b, a]
    """, "TrainingWorkload", [
        '6:21 schema.unique spec.nodePools | spec.nodePools: "a" appears more than once']),
    "environment_variable_with_two_forms": ("""
        environmentVariables:
          - name: A
            value: x
            secret: {name: s, key: k}
    """, "TrainingWorkload", [
        ('9:7 schema.exclusive spec.environmentVariables[0] | spec.environmentVariables[0]: set '
        'only one of value, secret, credential, podField (found value and secret)')]),
    "malformed_secret_reference": ("""
        environmentVariables: [{name: A, value: "SECRET:db"}]
    """, "TrainingWorkload", [
        ('6:43 schema.pattern spec.environmentVariables[0].value | '
        'spec.environmentVariables[0].value: "SECRET:db" must have the form SECRET:<secret>,<key>')]),
    "compute_reference_of_wrong_type": ("""
        compute: 3
    """, "TrainingWorkload", [
        ('6:12 schema.type spec.compute | spec.compute: expected a string or a mapping, got '
        'integer 3')]),
    "compute_reference_bad_name": ("""
        compute: Big GPU
    """, "TrainingWorkload", [
        ('6:12 schema.name spec.compute | spec.compute: "Big GPU" must be a DNS-1123 label: '
        'lowercase letters, digits and "-", starting and ending with a letter or digit, at most '
        '63 characters')]),
    "inline_compute_errors_are_reported_inside_it": ("""
        compute: {cpuCoreRequest: many}
    """, "TrainingWorkload", [
        ('6:29 schema.type spec.compute.cpuCoreRequest | spec.compute.cpuCoreRequest: expected a '
        'number, got string "many"')]),
    "distributed_framework_required_and_checked": ("""
        workers: 2
        master: {imagePullPolicy: Sometimes}
    """, "DistributedWorkload", [
        '6:3 schema.required spec.framework | missing required field "framework" in spec',
        ('7:29 schema.enum spec.master.imagePullPolicy | spec.master.imagePullPolicy: "Sometimes" '
        'must be one of: Always, IfNotPresent, Never')]),
    "distributed_clean_pod_policy": ("""
        framework: PyTorch
        cleanPodPolicy: Finished
    """, "DistributedWorkload", [
        ('7:19 schema.enum spec.cleanPodPolicy | spec.cleanPodPolicy: "Finished" must be one of: '
        'Running, All, None')]),
    "inference_metric_and_probe_handler": ("""
        autoscaling: {metric: rps}
        probes:
          readiness: {handler: {}}
    """, "InferenceWorkload", [
        ('6:25 schema.enum spec.autoscaling.metric | spec.autoscaling.metric: "rps" must be one '
        'of: throughput, concurrency, latency, cpu-utilization, gpu-utilization, custom'),
        ('8:26 schema.one-of spec.probes.readiness.handler | spec.probes.readiness.handler: set '
        'one of: httpGet, tcpSocket, exec, grpc')]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gives_the_expected_problems(case: str) -> None:
    spec, kind, expected = BAD[case]
    assert problems(workload(spec, kind)) == expected


# environment variable forms are checked outside the schema, so those cases are not schema cases
@pytest.mark.parametrize("case", sorted(c for c in BAD if "environmentVariables" not in BAD[c][0]))
def test_fast_validator_rejects_every_bad_document(case: str) -> None:
    spec, kind, _ = BAD[case]
    doc = docs_of(workload(spec, kind))[0]
    assert not validator_for(kind).compiled()(doc.data)
    assert not validator_for(kind).full.is_valid(doc.data)


def test_name_must_be_a_dns_label() -> None:
    assert problems(workload("image: x", name="Train_1")) == [
        ('4:9 schema.name metadata.name | metadata.name: "Train_1" must be a DNS-1123 label: '
        'lowercase letters, digits and "-", starting and ending with a letter or digit, at most '
        '63 characters')]


def test_name_longer_than_63_characters_is_one_problem() -> None:
    assert [p.split(" | ")[0] for p in problems(workload("image: x", name="a" * 64))] == [
        "4:9 schema.name metadata.name"]


def test_project_name_must_start_with_a_letter() -> None:
    text = "apiVersion: wlc.dev/v1alpha1\nkind: Project\nmetadata: {name: 1team}\n"
    assert problems(text) == [
        ('3:18 schema.name metadata.name | metadata.name: "1team" must be a Run:ai project name: '
        'lowercase letters, digits and "-", starting with a letter and ending with a letter or '
        'digit, at most 63 characters')]


def test_unknown_kind_suggests_the_closest() -> None:
    text = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkloads\nmetadata: {name: a}\n"
    [line] = problems(text)
    assert line.startswith('2:7 schema.kind kind | unknown kind "TrainingWorkloads" (did you mean '
                           '"TrainingWorkload"?); expected one of: TrainingWorkload, ')


def test_missing_kind() -> None:
    assert problems("apiVersion: wlc.dev/v1alpha1\nmetadata: {name: a}\n")[0].startswith(
        '1:1 schema.required kind | missing required field "kind"')


def test_document_that_is_not_a_mapping() -> None:
    assert problems("- a\n- b\n") == [
        ("1:1 schema.type  | a document must be a mapping with apiVersion, kind, metadata and "
        "spec, got a list")]


def test_misspelt_required_field_is_reported_once() -> None:
    text = "apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: a}\nspecs: {}\n"
    assert problems(text) == [
        '4:1 schema.unknown-field specs | unknown field "specs" (did you mean "spec"?)']


def test_wrong_api_version() -> None:
    text = "apiVersion: run.ai/v2alpha1\nkind: Department\nmetadata: {name: a}\n"
    assert problems(text) == [
        '1:13 schema.enum apiVersion | apiVersion: "run.ai/v2alpha1" must be "wlc.dev/v1alpha1"']


def test_label_key_is_located_at_the_key() -> None:
    text = ("apiVersion: wlc.dev/v1alpha1\nkind: Department\nmetadata:\n  name: a\n"
            "  labels:\n    bad key: x\n")
    [line] = problems(text)
    assert line.startswith('6:5 schema.pattern metadata.labels["bad key"] | metadata.labels: '
                           'key "bad key" must be a Kubernetes label key')


def test_kubernetes_version_as_a_number_says_to_quote() -> None:
    text = ("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: r}\n"
            "spec:\n  target: {kubernetesVersion: 1.34}\n")
    assert problems(text) == [
        ("5:31 schema.enum spec.target.kubernetesVersion | spec.target.kubernetesVersion: 1.34 "
        "must be one of: 1.32, 1.33, 1.34, 1.35, 1.36, 1.37 (put it in quotes)")]


@pytest.mark.parametrize("key", ["password", "data", "stringData", "token", "value"])
def test_secret_values_in_a_credential_are_refused(key: str) -> None:
    text = ("apiVersion: wlc.dev/v1alpha1\nkind: Credential\nmetadata: {name: db}\n"
            f"spec:\n  type: password\n  secretName: db\n  {key}: hunter2\n")
    assert problems(text) == [
        (f"7:3 schema.secret-value spec.{key} | spec.{key}: secret values must never be stored in "
        "git; create the Secret in the cluster and reference it with spec.secretName")]


def test_secret_data_at_the_top_level_of_a_credential() -> None:
    text = ("apiVersion: wlc.dev/v1alpha1\nkind: Credential\nmetadata: {name: db}\n"
            "spec: {type: generic, secretName: db}\nstringData: {a: b}\n")
    assert [p.split(" | ")[0] for p in problems(text)] == ["5:1 schema.secret-value stringData"]


def test_a_password_anywhere_is_a_secret_value() -> None:
    spec = """
        storage:
          git: [{name: code, repository: "https://x/y", password: hunter2}]
    """
    assert problems(workload(spec)) == [
        ("7:51 schema.secret-value spec.storage.git[0].password | spec.storage.git[0].password: "
        "secret values must never be stored in git; keep them in a Secret and reference it by name")]


def test_data_source_needs_exactly_one_volume() -> None:
    head = "apiVersion: wlc.dev/v1alpha1\nkind: DataSource\nmetadata: {name: d}\n"
    assert problems(head + "spec:\n  pvc: {claimName: x}\n  nfs: {server: x}\n") == [
        ("6:3 schema.one-of spec | spec: set only one of: pvc, nfs, hostPath, git, s3, configMap, "
        "secret (found pvc and nfs)")]
    assert problems(head + "spec: {}\n") == [
        "4:7 schema.one-of spec | spec: set one of: pvc, nfs, hostPath, git, s3, configMap, secret"]


def test_policy_scope_is_exactly_one_of_three() -> None:
    head = "apiVersion: wlc.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"
    assert problems(head + "spec:\n  scope: {project: a, department: b}\n") == [
        ("5:11 schema.one-of spec.scope | spec.scope: set only one of: cluster, department, "
        "project (found department and project)")]
    assert problems(head + "spec:\n  scope: {cluster: false}\n") == [
        "5:20 schema.enum spec.scope.cluster | spec.scope.cluster: false must be true"]


def test_workload_types_use_kind_names() -> None:
    head = "apiVersion: wlc.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\n"
    assert problems(head + "spec: {scope: {cluster: true}, workloadTypes: [training]}\n") == [
        ('4:48 schema.enum spec.workloadTypes[0] | spec.workloadTypes[0]: "training" must be one '
        'of: TrainingWorkload, InteractiveWorkload, DistributedWorkload, InferenceWorkload '
        '(did you mean "TrainingWorkload"?)')]


def test_json_patch_operation_needs_its_value() -> None:
    text = ("apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata: {name: o}\nspec:\n"
            "  objectPatches:\n    - select: {kind: Job}\n      jsonPatch: [{op: add, path: /a}]\n")
    assert problems(text) == [
        ('7:19 schema.required spec.objectPatches[0].jsonPatch[0].value | missing required field '
        '"value" in spec.objectPatches[0].jsonPatch[0]')]


def test_every_problem_of_a_document_is_reported() -> None:
    spec = """
        imagePullPolicy: Sometimes
        compute:
          gpuDevicesRequest: 1.5
          cpuCoreRequst: 2
        backoffLimit: many
    """
    assert [p.split(" | ")[0] for p in problems(workload(spec))] == [
        "6:20 schema.enum spec.imagePullPolicy",
        "8:24 schema.type spec.compute.gpuDevicesRequest",
        "9:5 schema.unknown-field spec.compute.cpuCoreRequst",
        "10:17 schema.type spec.backoffLimit",
    ]


def test_the_compiled_validator_takes_over_after_enough_documents() -> None:
    doc = docs_of(GOOD["Department"])[0]
    for _ in range(COMPILE_AFTER + 1):
        assert validate_doc(doc) == []
    assert validator_for("Department")._compiled is not None


def _mutations(data: Any, rng: random.Random) -> Any:
    """``data`` with one value replaced, added or removed somewhere."""
    out = copy.deepcopy(data)
    paths: list[list[Any]] = []

    def walk(node: Any, path: list[Any]) -> None:
        paths.append(path)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, value in items:
            walk(value, path + [key])

    walk(out, [])
    path = rng.choice(paths[1:])
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    roll = rng.random()
    if roll < 0.7:
        parent[path[-1]] = rng.choice(ODD_VALUES)
    elif isinstance(parent, dict) and roll < 0.85:
        parent[f"{path[-1]}x"] = 1
    else:
        del parent[path[-1]]
    return out


ODD_VALUES: list[Any] = [None, True, 0, -1, 1.5, 70000, "", "x", "Bad Name", "12 GB", "/abs", [],
                         {}, ["a", "a"], {"a": 1}, "SECRET:a,b", 2**40]


def test_compiled_and_full_validators_agree_on_mutated_documents() -> None:
    rng = random.Random(7)
    docs = [d for text in GOOD.values() for d in docs_of(text)]
    for _ in range(1500):
        doc = rng.choice(docs)
        data = _mutations(doc.data, rng)
        v = validator_for(doc.kind)
        assert v.compiled()(data) == v.full.is_valid(data), data
        problems = validate_doc(Doc(doc.file, 0, data, doc.locs, doc.key_locs))
        assert v.full.is_valid(data) or problems, data
        assert all(p.code != "schema.invalid" for p in problems), problems
