# fio with the libaio engine (io_setup, io_submit, io_getevents, and libaio's reaping of
# the ring in user space): random reads and writes 16 deep, each block verified by
# checksum, then an fsync'd sequential pass. Prints what does not depend on timing.
# usage: fio.sh DIR (made afresh, removed after)
set -e
d=$1
rm -rf "$d"; mkdir -p "$d"
fio --output-format=json --output="$d/out.json" \
	--name=randrw --ioengine=libaio --iodepth=16 --rw=randrw --bs=4k --size=4m \
	--filename="$d/data" --verify=crc32c --do_verify=1 --randrepeat=1 \
	--name=seqsync --stonewall --ioengine=libaio --iodepth=8 --rw=write --bs=16k \
	--size=2m --filename="$d/seq" --fsync=4 --end_fsync=1
python3 - "$d/out.json" <<'PY'
import json, sys
for job in json.load(open(sys.argv[1]))["jobs"]:
    print(job["jobname"], "error", job["error"], "read", job["read"]["io_bytes"],
          "write", job["write"]["io_bytes"])
PY
rm -rf "$d"
