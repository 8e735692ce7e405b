# Sourced by the with_*.sh wrappers: with_rw_volume HOST_DIR SANDBOX_DIR CMD [ARGS...]
# sets args to CMD with `--volume=HOST_DIR:SANDBOX_DIR` after its first `do` (a `runsc
# ... do PROGRAM` command) and rw to where the program sees HOST_DIR: SANDBOX_DIR inside
# the sandbox, HOST_DIR itself when CMD runs natively.
with_rw_volume() {
	local host=$1 inside=$2 a seen_do=0
	shift 2
	args=() rw=$host
	for a in "$@"; do
		args+=("$a")
		if [ "$a" = do ] && [ $seen_do -eq 0 ]; then
			args+=("--volume=$host:$inside")
			rw=$inside
			seen_do=1
		fi
	done
}
