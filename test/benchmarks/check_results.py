#!/usr/bin/env python3
"""Checks that a benchmark run produced a complete, well-formed results.json (never timings).

    check_results.py OUT_DIR [--require RUNTIME ...]

Every row has a cell for every runtime with a known status; every `ok` cell has
positive samples and a median; native succeeded on every workload that ran; the
required runtimes ran and passed at least one micro benchmark; results.md exists.
"""

import argparse
import json
import math
import os
import sys

STATUSES = {"ok", "unsupported", "failed"}


def check(out_dir, required):
    errors = []
    with open(os.path.join(out_dir, "results.json")) as f:
        doc = json.load(f)
    for key in ("schema", "date", "mode", "host", "runtimes", "rows", "results"):
        if key not in doc:
            errors.append(f"results.json has no `{key}`")
    if errors:
        return errors
    names = [r["name"] for r in doc["runtimes"]]
    for name in ["native"] + required:
        if name not in names:
            errors.append(f"runtime `{name}` did not run")
    skipped = doc.get("workload_status", {})
    for row in doc["rows"]:
        cells = doc["results"].get(row["name"], {})
        if skipped.get(row["name"]) or (row["group"] == "memory" and skipped.get("memory")):
            continue
        for name in names:
            cell = cells.get(name)
            if cell is None or cell.get("status") not in STATUSES:
                errors.append(f"{row['name']}/{name}: missing or unknown status")
                continue
            if cell["status"] != "ok":
                if not cell.get("error"):
                    errors.append(f"{row['name']}/{name}: {cell['status']} without a reason")
                continue
            samples = cell.get("samples") or []
            if not samples or not all(isinstance(v, (int, float)) and v > 0 and math.isfinite(v)
                                      for v in samples):
                errors.append(f"{row['name']}/{name}: bad samples {samples!r}")
            if not isinstance(cell.get("median"), (int, float)) or cell["median"] <= 0:
                errors.append(f"{row['name']}/{name}: no median")
            if name != "native" and "ratio_native" not in cell and "median" in cells.get("native", {}):
                errors.append(f"{row['name']}/{name}: no ratio to native")
        if cells.get("native", {}).get("status") != "ok":
            errors.append(f"{row['name']}: native run failed: {cells.get('native', {}).get('error')}")
    for name in required:
        micro_ok = [r["name"] for r in doc["rows"] if r["group"] == "micro"
                    and doc["results"].get(r["name"], {}).get(name, {}).get("status") == "ok"]
        if not micro_ok:
            errors.append(f"runtime `{name}` passed no micro benchmark")
    if not os.path.exists(os.path.join(out_dir, "results.md")):
        errors.append("results.md is missing")
    return errors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out_dir")
    p.add_argument("--require", action="append", default=[])
    args = p.parse_args()
    try:
        errors = check(args.out_dir, args.require)
    except (OSError, ValueError, KeyError, TypeError) as e:
        errors = [f"unreadable results: {e!r}"]
    for e in errors:
        print(f"check_results: {e}", file=sys.stderr)
    print(f"check_results: {'FAILED' if errors else 'ok'}: {args.out_dir}/results.json")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
