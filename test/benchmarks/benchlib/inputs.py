"""Inputs of the workloads, written under ROOTFS/bench (the workloads' working directory)."""

import os

# The import-heavy Python workload: a broad slice of the standard library, then a little work.
IMPORTS_PY = '''\
"""Import-heavy start of a typical Python tool, then a little work with what it imported."""
import argparse, asyncio, base64, collections, csv, dataclasses, datetime, decimal
import email.message, email.parser, fractions, functools, gzip, hashlib, html.parser
import http.client, inspect, io, ipaddress, itertools, json, logging, pathlib, pickle
import random, re, shlex, shutil, socket, sqlite3, statistics, string, struct
import subprocess, tarfile, tempfile, textwrap, threading, typing, unittest, urllib.parse
import uuid, xml.etree.ElementTree, zipfile, zlib

rows = [{"id": i, "name": f"n{i}", "v": random.random()} for i in range(2000)]
blob = json.dumps(rows)
assert len(json.loads(blob)) == 2000
digest = hashlib.sha256(zlib.compress(blob.encode())).hexdigest()
words = re.findall(r"[a-z]+[0-9]+", blob)
print(len(words), statistics.mean(r["v"] for r in rows) > 0, digest[:8])
'''


def sqlite_script(rows, commits):
    """ROWS inserts in one transaction, then COMMITS single-row autocommit inserts (journal + sync each)."""
    lines = ["PRAGMA journal_mode=DELETE;",
             "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL);",
             "CREATE INDEX t_name ON t(name);",
             "BEGIN;"]
    for i in range(rows):
        lines.append(f"INSERT INTO t (name, v) VALUES ('name{i * 7919 % 100003}', {i * 0.5});")
    lines.append("COMMIT;")
    for i in range(commits):
        lines.append(f"INSERT INTO t (name, v) VALUES ('single{i}', {i});")
    lines.append("SELECT count(*), sum(v) FROM t WHERE name LIKE 'name1%';")
    return "\n".join(lines) + "\n"


def c_project(nfiles):
    """A small C project: NFILES modules with a few functions each, a main, a Makefile."""
    files = {}
    files["common.h"] = "".join(f"int mod{i}_run(int x);\n" for i in range(nfiles))
    for i in range(nfiles):
        body = [f'#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n#include "common.h"\n']
        for j in range(8):
            body.append(f"""
static int m{i}_f{j}(int x)
{{
	char buf[64];
	int acc = x;

	snprintf(buf, sizeof(buf), "%d-%d", x, {j});
	for (size_t k = 0; k < strlen(buf); k++)
		acc = acc * 31 + buf[k];
	return acc ^ {i * 8 + j};
}}
""")
        calls = " + ".join(f"m{i}_f{j}(x + {j})" for j in range(8))
        body.append(f"\nint mod{i}_run(int x)\n{{\n\treturn {calls};\n}}\n")
        files[f"mod{i}.c"] = "".join(body)
    calls = "\n".join(f"\tsum += mod{i}_run(argc + {i});" for i in range(nfiles))
    files["main.c"] = ('#include <stdio.h>\n#include "common.h"\n\nint main(int argc, char **argv)\n'
                       "{\n\tint sum = 0;\n\n" + calls + '\n\tprintf("%d\\n", sum);\n\treturn 0;\n}\n')
    objs = " ".join(["main.o"] + [f"mod{i}.o" for i in range(nfiles)])
    files["Makefile"] = (f"CFLAGS = -O2 -Wall\nOBJS = {objs}\n\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n\n"
                         "%.o: %.c common.h\n\t$(CC) $(CFLAGS) -c -o $@ $<\n\n"
                         "clean:\n\trm -f prog $(OBJS)\n")
    return files


def write_all(bench):
    """Writes every input under BENCH (ROOTFS/bench)."""
    data = os.path.join(bench, "data")
    os.makedirs(os.path.join(data, "dir"), exist_ok=True)
    with open(os.path.join(data, "file"), "w") as f:
        f.write("a small file for open, stat and read\n")
    for i in range(1000):  # the readdir of 1,000 entries
        open(os.path.join(data, "dir", f"entry{i:04d}"), "w").close()
    with open(os.path.join(bench, "imports.py"), "w") as f:
        f.write(IMPORTS_PY)
    for name, rows, commits in [("sqlite.sql", 20000, 200), ("sqlite-small.sql", 200, 5)]:
        with open(os.path.join(bench, name), "w") as f:
            f.write(sqlite_script(rows, commits))
    for name, n in [("cproj", 12), ("cproj-small", 2)]:
        d = os.path.join(bench, name)
        os.makedirs(d, exist_ok=True)
        for fname, text in c_project(n).items():
            with open(os.path.join(d, fname), "w") as f:
                f.write(text)
