"""Host memory held by a runtime's process tree, the Sentry's memory file counted once."""

import os

from .runtimes import descendants

MEMFILE = "memfd:runsc-memory"  # the Sentry's memory file, as /proc shows it


def host_memory(root_pid):
    """Host memory held by ROOT_PID's tree, in bytes: `total` is the PSS of every mapping
    except the Sentry's memory file (`pss`), plus that file's allocated bytes (`memfile`):
    application memory lives there, mapped by the Sentry and the stubs and not necessarily
    touched by either. `rss` sums the processes' RSS, memory file pages included."""
    pss = rss = 0
    memfiles = {}
    for pid in descendants(root_pid):
        try:
            with open(f"/proc/{pid}/smaps") as f:
                skip = False
                for line in f:
                    first = line.split(None, 1)[0]
                    if "-" in first and not first.endswith(":"):
                        skip = MEMFILE in line  # a mapping's header line
                    elif first == "Pss:" and not skip:
                        pss += int(line.split()[1]) * 1024
                    elif first == "Rss:":
                        rss += int(line.split()[1]) * 1024
            for fd in os.listdir(f"/proc/{pid}/fd"):
                path = f"/proc/{pid}/fd/{fd}"
                if MEMFILE in os.readlink(path):
                    st = os.stat(path)
                    memfiles[(st.st_dev, st.st_ino)] = st.st_blocks * 512
        except (OSError, ValueError):
            continue  # gone, or not ours to read
    memfile = sum(memfiles.values())
    return {"total": pss + memfile, "pss": pss, "memfile": memfile, "rss": rss}
