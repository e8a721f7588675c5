#!/usr/bin/env python3
"""Kubernetes JSON schemas kubeconform can read offline, from the PyPI wheel kubernetes-validate.

The wheel's per-kind files point into a shared `_definitions.json` with `$ref`s kubeconform does
not follow; this writes one self-contained file per kind (`<kind>-<group>-<version>.json`, the
layout of kubeconform's default schema location), each carrying only the definitions it reaches.

    kube-schemas.py <wheel> <kubernetes minor, e.g. 1.34> <out dir>
"""

import json
import re
import sys
import zipfile

wheel, minor, out = sys.argv[1:4]
prefix = f"kubernetes_validate/kubernetes-json-schema/v{minor}.0-local-strict/"
REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")

with zipfile.ZipFile(wheel) as archive:
    names = [n for n in archive.namelist() if n.startswith(prefix) and n.endswith(".json")]
    if not names:
        sys.exit(f"kube-schemas: no schemas for Kubernetes {minor} in {wheel}")
    definitions = json.loads(archive.read(prefix + "_definitions.json"))["$defs"]

    def rewrite(node, reached):
        """Points each $ref at the file's own definitions and collects what it reaches."""
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                match = REF.match(ref)
                if match:
                    name = match.group(1)
                    node = {**node, "$ref": f"#/$defs/{name}"}
                    if name not in reached:
                        reached[name] = None
                        reached[name] = rewrite(definitions[name], reached)
            return {key: (value if key == "$ref" else rewrite(value, reached)) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item, reached) for item in node]
        return node

    written = 0
    for name in names:
        base = name[len(prefix):]
        if base.startswith("_") or base == "all.json":
            continue
        reached = {}
        schema = rewrite(json.loads(archive.read(name)), reached)
        if reached:
            schema["$defs"] = reached
        with open(f"{out}/{base}", "w") as file:
            json.dump(schema, file, separators=(",", ":"))
        written += 1
print(f"kube-schemas: {written} schemas for Kubernetes {minor} in {out}")
