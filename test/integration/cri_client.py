"""cri_client.py: a minimal Kubernetes CRI (runtime.v1) client over gRPC, for tests.

Only the RuntimeService calls and message fields the tests use are described, in SCHEMA
below: our own small subset of k8s.io/cri-api pkg/apis/runtime/v1/api.proto, with the
same field numbers (the numbers are the wire format; names are only for us). Messages are
encoded and decoded here by hand (protobuf wire format: varints and length-delimited
fields; a map<string,string> is a repeated message {1: key, 2: value}), so the only
dependency is Debian's python3-grpcio for the HTTP/2 transport (no protoc, no generated
code); it is imported when a Cri is made, so the encoding works without it.

    cri = Cri("/run/x/containerd.sock")
    pod = cri.call("RunPodSandbox", {"config": {...}, "runtime_handler": "runsc"})
    print(pod["pod_sandbox_id"])
"""
# message: {field: (number, kind, repeated)}; kind is "string", "bytes", "int" (int32,
# int64, uint32, enums), "bool", "map" (map<string,string>) or the name of a message.
SCHEMA = {
    "VersionRequest": {"version": (1, "string", False)},
    "VersionResponse": {"version": (1, "string", False),
                        "runtime_name": (2, "string", False),
                        "runtime_version": (3, "string", False),
                        "runtime_api_version": (4, "string", False)},
    "PodSandboxMetadata": {"name": (1, "string", False), "uid": (2, "string", False),
                           "namespace": (3, "string", False),
                           "attempt": (4, "int", False)},
    "NamespaceOption": {"network": (1, "int", False), "pid": (2, "int", False),
                        "ipc": (3, "int", False), "target_id": (4, "string", False)},
    "LinuxSandboxSecurityContext": {"namespace_options": (1, "NamespaceOption", False)},
    "LinuxPodSandboxConfig": {"cgroup_parent": (1, "string", False),
                              "security_context": (2, "LinuxSandboxSecurityContext",
                                                   False)},
    "PodSandboxConfig": {"metadata": (1, "PodSandboxMetadata", False),
                         "hostname": (2, "string", False),
                         "log_directory": (3, "string", False),
                         "labels": (6, "map", False), "annotations": (7, "map", False),
                         "linux": (8, "LinuxPodSandboxConfig", False)},
    "RunPodSandboxRequest": {"config": (1, "PodSandboxConfig", False),
                             "runtime_handler": (2, "string", False)},
    "RunPodSandboxResponse": {"pod_sandbox_id": (1, "string", False)},
    "StopPodSandboxRequest": {"pod_sandbox_id": (1, "string", False)},
    "StopPodSandboxResponse": {},
    "RemovePodSandboxRequest": {"pod_sandbox_id": (1, "string", False)},
    "RemovePodSandboxResponse": {},
    "ImageSpec": {"image": (1, "string", False)},
    "KeyValue": {"key": (1, "string", False), "value": (2, "string", False)},
    "ContainerMetadata": {"name": (1, "string", False), "attempt": (2, "int", False)},
    "LinuxContainerResources": {"cpu_period": (1, "int", False),
                                "cpu_quota": (2, "int", False),
                                "memory_limit_in_bytes": (4, "int", False)},
    "LinuxContainerConfig": {"resources": (1, "LinuxContainerResources", False)},
    "ContainerConfig": {"metadata": (1, "ContainerMetadata", False),
                        "image": (2, "ImageSpec", False),
                        "command": (3, "string", True), "args": (4, "string", True),
                        "working_dir": (5, "string", False),
                        "envs": (6, "KeyValue", True), "labels": (9, "map", False),
                        "annotations": (10, "map", False),
                        "log_path": (11, "string", False),
                        "linux": (15, "LinuxContainerConfig", False)},
    "CreateContainerRequest": {"pod_sandbox_id": (1, "string", False),
                               "config": (2, "ContainerConfig", False),
                               "sandbox_config": (3, "PodSandboxConfig", False)},
    "CreateContainerResponse": {"container_id": (1, "string", False)},
    "StartContainerRequest": {"container_id": (1, "string", False)},
    "StartContainerResponse": {},
    "StopContainerRequest": {"container_id": (1, "string", False),
                             "timeout": (2, "int", False)},
    "StopContainerResponse": {},
    "RemoveContainerRequest": {"container_id": (1, "string", False)},
    "RemoveContainerResponse": {},
    "ContainerStatusRequest": {"container_id": (1, "string", False),
                               "verbose": (2, "bool", False)},
    "ContainerStatus": {"id": (1, "string", False), "state": (3, "int", False),
                        "started_at": (5, "int", False),
                        "finished_at": (6, "int", False),
                        "exit_code": (7, "int", False), "reason": (10, "string", False),
                        "message": (11, "string", False),
                        "log_path": (15, "string", False)},
    "ContainerStatusResponse": {"status": (1, "ContainerStatus", False),
                                "info": (2, "map", False)},
    "UpdateContainerResourcesRequest": {"container_id": (1, "string", False),
                                        "linux": (2, "LinuxContainerResources", False)},
    "UpdateContainerResourcesResponse": {},
    "ExecSyncRequest": {"container_id": (1, "string", False),
                        "cmd": (2, "string", True), "timeout": (3, "int", False)},
    "ExecSyncResponse": {"stdout": (1, "bytes", False), "stderr": (2, "bytes", False),
                         "exit_code": (3, "int", False)},
}

# ContainerState (api.proto enum).
CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED, CONTAINER_UNKNOWN = range(4)
# NamespaceMode (api.proto enum).
NS_POD, NS_CONTAINER, NS_NODE, NS_TARGET = range(4)


def _varint(n):
    n &= (1 << 64) - 1  # negative int32/int64 go out as ten-byte two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, kind, value):
    if kind in ("int", "bool"):
        return _varint(num << 3) + _varint(int(value))
    if kind == "string":
        value = value.encode()
    elif kind == "map":
        return b"".join(_field(num, "KeyValue", {"key": k, "value": v})
                        for k, v in value.items())
    elif kind != "bytes":
        value = encode(kind, value)
    return _varint(num << 3 | 2) + _varint(len(value)) + value


def encode(msg, values):
    """The wire bytes of message MSG from a dict of its SCHEMA field names."""
    schema = SCHEMA[msg]
    out = b""
    for name, value in values.items():
        if name not in schema:
            raise KeyError(f"{msg} has no field {name} in cri_client.SCHEMA")
        num, kind, repeated = schema[name]
        for v in value if repeated else [value]:
            out += _field(num, kind, v)
    return out


def _read_varint(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def _fields(data):
    """(number, wire type, raw value) of each field in DATA."""
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 2:
            n, i = _read_varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, i = data[i:i + size], i + size
        else:
            raise ValueError(f"protobuf wire type {wire} not supported")
        yield num, wire, value


def decode(msg, data):
    """A dict of the SCHEMA fields of message MSG found in DATA (unknown ones dropped)."""
    by_num = {num: (name, kind, rep) for name, (num, kind, rep) in SCHEMA[msg].items()}
    out = {}
    for num, _, raw in _fields(data):
        if num not in by_num:
            continue
        name, kind, repeated = by_num[num]
        if kind == "int":
            value = raw - (1 << 64) if raw >= 1 << 63 else raw
        elif kind == "bool":
            value = bool(raw)
        elif kind == "string":
            value = raw.decode()
        elif kind == "bytes":
            value = bytes(raw)
        elif kind == "map":
            kv = decode("KeyValue", raw)
            out.setdefault(name, {})[kv.get("key", "")] = kv.get("value", "")
            continue
        else:
            value = decode(kind, raw)
        if repeated:
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out


class Cri:
    """RuntimeService calls on a CRI socket (containerd's grpc address)."""

    def __init__(self, socket_path, timeout=120):
        import grpc
        self.channel = grpc.insecure_channel("unix://" + socket_path)
        self.timeout = timeout

    def call(self, method, request):
        """The decoded response of RuntimeService.METHOD; raises grpc.RpcError."""
        rpc = self.channel.unary_unary(
            "/runtime.v1.RuntimeService/" + method,
            request_serializer=lambda r: encode(method + "Request", r),
            response_deserializer=lambda b: decode(method + "Response", b))
        return rpc(request, timeout=self.timeout)

    def close(self):
        self.channel.close()
