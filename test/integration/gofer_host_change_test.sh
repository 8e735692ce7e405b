#!/usr/bin/env bash
# A read-write bind mount shares its files with the host: what another host process
# changes while the sandbox runs is what the sandbox sees next (Linux semantics), even for
# names the sandbox looked up before: a file grown and chmod'ed, a name renamed away, a
# name replaced by another file, a directory replaced, a file created, and a directory
# listed before lists the host's entries now, and the mount root's new mode denies a
# caller that is not root.
#
# usage: gofer_host_change_test.sh [--runsc=PATH] [--platform=P]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
RUNSC=${RUNSC:-$root/build/runsc/runsc}
PLATFORM=ptrace
TMO=120

for arg in "$@"; do
	case "$arg" in
	--runsc=*) RUNSC=${arg#*=} ;;
	--platform=*) PLATFORM=${arg#*=} ;;
	-h | --help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "gofer_host_change_test.sh: unknown argument \`$arg\`" >&2; exit 2 ;;
	esac
done

passed=0
failed=0
d=$(mktemp -d /tmp/runsc-hostchg-XXXXXX) || exit 2
trap 'rm -rf "$d"' EXIT
r=$d/rw
chmod 755 "$d" # a caller that is not root reaches rw/ (the nobody_* checks)
mkdir "$r" "$r/sub"
echo one >"$r/f"
echo gone >"$r/gone"
echo old >"$r/replaced"
echo s >"$r/sub/g"
chmod 644 "$r/f"

check() { # NAME WHY CMD...
	local name=$1 why=$2
	shift 2
	if "$@"; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name: $why"
		failed=$((failed + 1))
	fi
}

# Inside: look every name up (so the Sentry caches it), say ready, wait for the host's
# changes, and look again.
inner='r=$1
stat -c "before f=%s" "$r/f"; stat -c "before gone=%s" "$r/gone"
stat -c "before replaced=%i" "$r/replaced"; stat -c "before sub=%s" "$r/sub/g"
[ -e "$r/new" ] || echo "before new=ENOENT"
cat "$r/f" >/dev/null
echo "before ls=$(ls "$r" | tr "\n" " ")"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nobody stat -c "before nobody f=%s" "$r/f"
: >"$r/ready"
i=0
while [ ! -e "$r/go" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
stat -c "after f=%s mode=%a" "$r/f"
stat -c "after gone=%s" "$r/gone" 2>/dev/null || echo "after gone=ENOENT"
stat -c "after moved=%s" "$r/moved"
stat -c "after replaced=%i" "$r/replaced"
stat -c "after sub=%s" "$r/sub/g"
stat -c "after new=%s" "$r/new"
echo "after cat=$(cat "$r/f")"
echo "after ls=$(ls "$r" | tr "\n" " ")"
echo "after ls sub=$(ls "$r/sub" | tr "\n" " ")"
nobody stat -c "after nobody f=%s" "$r/f" 2>/dev/null || echo "after nobody f=denied"'

out=$d/out
timeout "$TMO" "$RUNSC" --platform="$PLATFORM" do --volume="$r:$r" /bin/sh -c "$inner" sh "$r" \
	>"$out" 2>&1 &
pid=$!
for _ in $(seq 1200); do
	[ -e "$r/ready" ] && break
	sleep 0.05
done
check sandbox_ready "no $r/ready: $(tr '\n' '|' <"$out")" test -e "$r/ready"
echo "one two three" >"$r/f"
chmod 600 "$r/f"
mv "$r/gone" "$r/moved"
echo new >"$r/replaced.tmp"
mv "$r/replaced.tmp" "$r/replaced"
mv "$r/sub" "$r/sub.old"
mkdir "$r/sub"
echo longer >"$r/sub/g"
echo brand-new >"$r/new"
chmod 700 "$r"
touch "$r/go"
wait "$pid"
rc=$?
got=$(tr '\n' '|' <"$out")
has() { grep -qx -- "$1" "$out"; }
check exits_0 "exit $rc: $got" test "$rc" -eq 0
check saw_before "$got" has "before f=4"
check new_name_missing_before "$got" has "before new=ENOENT"
check grown_and_chmod_seen "$got" has "after f=14 mode=600"
check renamed_away_is_enoent "$got" has "after gone=ENOENT"
check renamed_to_seen "$got" has "after moved=5"
check replaced_is_new_inode "$got" has "after replaced=$(stat -c %i "$r/replaced")"
check replaced_dir_seen "$got" has "after sub=7"
check created_seen "$got" has "after new=10"
check new_content_read "$got" has "after cat=one two three"
# A directory listed before lists what the host has now (its kept open fid reads again).
check listed_before "$got" has "before ls=f gone replaced sub "
check listing_sees_host_changes "$got" has "after ls=f go moved new ready replaced sub sub.old "
check replaced_dir_listed "$got" has "after ls sub=g "
# Search permission on the mount root for a caller that is not root: the mode the host
# gave it since, though the sandbox looked at it before.
check nobody_searched_before "$got" has "before nobody f=4"
check nobody_denied_after_host_chmod "$got" has "after nobody f=denied"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
