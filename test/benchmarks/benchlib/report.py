"""Results: medians and ratios, results.json, the Markdown table and the gnuplot chart."""

import json
import os
import shutil
import statistics
import subprocess


def summarize(results, runtimes):
    """Adds median, ratio_native and ratio_runc to every ok cell of RESULTS (row -> runtime -> cell)."""
    for cells in results.values():
        for cell in cells.values():
            if cell["status"] == "ok" and cell["samples"]:
                cell["median"] = statistics.median(cell["samples"])
        base = {b: cells.get(b, {}).get("median") for b in ("native", "runc")}
        for name, cell in cells.items():
            if "median" not in cell or name == "native":
                continue
            for b, v in base.items():
                # runc is compared with native only; sandboxes with both.
                if v and name != b and not (name == "runc" and b != "native"):
                    cell[f"ratio_{b}"] = cell["median"] / v


def fmt_value(v, unit):
    if unit == "bytes":
        return f"{v / 1048576:.1f} MiB"
    for div, suffix in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if v >= div:
            return f"{v / div:.3g} {suffix}"
    return f"{v:.3g} ns"


def fmt_ratio(r):
    return f"{r:.2g}×" if r < 10 else f"{r:.0f}×"


def fmt_cell(cell, unit):
    status = cell.get("status", "skipped")
    if status != "ok":
        return status
    text = fmt_value(cell["median"], unit)
    ratios = [fmt_ratio(cell[k]) for k in ("ratio_native", "ratio_runc") if k in cell]
    return f"{text} ({' / '.join(ratios)})" if ratios else text


def markdown(doc):
    names = [r["name"] for r in doc["runtimes"]]
    has_runc = "runc" in names
    out = [f"Benchmarks, {doc['date']}, {doc['mode']} run ({doc['rounds']} rounds), "
           f"{doc['host']['summary']}.", "",
           "Cell: median (ratio to native" + (" / ratio to runc" if has_runc else "") +
           "); lower is better everywhere. Micro numbers are per operation, timed inside "
           "the sandbox; macro numbers are the whole command timed inside; startup is the "
           "whole command timed from outside; memory sums every process of the runtime.", "",
           "| workload | " + " | ".join(names) + " |",
           "|---|" + "---:|" * len(names)]
    for row in doc["rows"]:
        cells = doc["results"].get(row["name"], {})
        line = [fmt_cell(cells.get(n, {}), row["unit"]) for n in names]
        out.append(f"| {row['name']} | " + " | ".join(line) + " |")
    notes = [f"- `{rt}` on `{row}`: {cell['status']}: {cell.get('error', '')}"
             for row, cells in doc["results"].items() for rt, cell in cells.items()
             if cell["status"] not in ("ok", "skipped")]
    skipped = [f"- `{s['name']}` not run: {s['reason']}" for s in doc.get("skipped_runtimes", [])]
    if notes or skipped:
        out += ["", "Notes:"] + sorted(set(notes)) + skipped
    out += ["", "Runtimes:"] + [f"- `{r['name']}`: `{r['command']}` ({r['version']})"
                                for r in doc["runtimes"]]
    return "\n".join(out) + "\n"


def write_chart(doc, out_dir, log):
    """results.png: ratio to native per workload (log scale), one bar per runtime."""
    gnuplot = shutil.which("gnuplot")
    names = [r["name"] for r in doc["runtimes"] if r["name"] != "native"]
    if not gnuplot or not names:
        log("chart: gnuplot not found, no chart (apt-get install gnuplot-nox)" if not gnuplot
            else "chart: only native ran, nothing to compare")
        return None
    dat = os.path.join(out_dir, "results.dat")
    with open(dat, "w") as f:
        f.write("workload " + " ".join(f'"{n}"' for n in names) + "\n")
        for row in doc["rows"]:
            cells = doc["results"].get(row["name"], {})
            vals = [cells.get(n, {}).get("ratio_native") for n in names]
            f.write(row["name"].replace("_", "-") + " " +
                    " ".join(f"{v:.6g}" if v else "?" for v in vals) + "\n")
    png = os.path.join(out_dir, "results.png")
    plot = ", ".join(f"'{dat}' using {i + 2}:xtic(1) title columnhead" for i in range(len(names)))
    script = f"""
set terminal pngcairo size 1600,700 font "sans,10"
set output '{png}'
set title "Time or memory relative to native (log scale, lower is better) - {doc['date']}"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.5:*]
set grid ytics
set ylabel "ratio to native"
set xtics rotate by -40 left
set key top left
set rmargin 10
set datafile missing "?"
plot {plot}
"""
    res = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
    if res.returncode != 0:
        log(f"chart: gnuplot failed: {res.stderr.strip()[:300]}")
        return None
    return png


def write_all(doc, out_dir, log):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(markdown(doc))
    return write_chart(doc, out_dir, log)
