# python3 -m venv, then the venv's own python: where it lives, what it imports.
# usage: venv.sh DIR (made afresh, removed after)
set -e
d=$1
rm -rf "$d"
/usr/bin/python3 -m venv "$d"
"$d/bin/python" -c 'import sys, os; print(sys.prefix == sys.argv[1], sys.base_prefix, sys.executable == sys.argv[1] + "/bin/python"); print(sorted(os.listdir(sys.prefix)))' "$d"
"$d/bin/python" -m pip --version | cut -d' ' -f1-2
ls "$d/bin" | sort
grep -v '^command' "$d/pyvenv.cfg"
rm -rf "$d"
