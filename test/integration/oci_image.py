#!/usr/bin/env python3
"""oci_image.py: pack a directory into a one-layer OCI image archive (no registry needed).

usage: oci_image.py ROOTFS_DIR OUT.tar NAME [CMD...]

The archive is an OCI image layout (oci-layout, index.json, blobs/sha256/...) that
`ctr images import` and `podman load` accept; NAME (e.g. localhost/bb:latest) goes into
the index annotations. The image's PATH is the usual one; CMD defaults to /bin/sh.
"""
import hashlib
import io
import json
import sys
import tarfile


def blob(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return digest, data


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    rootfs, out, name = argv[0], argv[1], argv[2]
    cmd = argv[3:] or ["/bin/sh"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as layer:
        layer.add(rootfs, arcname=".")
    layer_digest, layer_data = blob(buf.getvalue())
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": cmd},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }
    config_digest, config_data = blob(json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config_data)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": len(layer_data)}],
    }
    manifest_digest, manifest_data = blob(json.dumps(manifest).encode())
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    index = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest_digest, "size": len(manifest_data),
                       "annotations": {"io.containerd.image.name": name,
                                       "org.opencontainers.image.ref.name": tag}}],
    }
    with tarfile.open(out, "w") as tar:
        add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(tar, "index.json", json.dumps(index).encode())
        for digest, data in ((layer_digest, layer_data), (config_digest, config_data),
                             (manifest_digest, manifest_data)):
            add(tar, "blobs/sha256/" + digest.split(":")[1], data)


if __name__ == "__main__":
    main(sys.argv[1:])
