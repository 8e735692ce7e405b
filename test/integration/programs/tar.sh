# tar and gzip over /usr/share/doc: the archive lists as many entries, with the same
# names, modes, owners, sizes and times, as natively.
# usage: tar.sh DIR (made afresh, removed after)
set -e
d=$1
rm -rf "$d"; mkdir -p "$d"
tar czf "$d/a.tgz" /usr/share/doc 2>&1
tar tvzf "$d/a.tgz" >"$d/list"
wc -l <"$d/list"
sort "$d/list" | md5sum
rm -rf "$d"
