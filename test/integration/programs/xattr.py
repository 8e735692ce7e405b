# Extended attributes through Python's os module, and shutil.copy2 carrying them along.
import errno
import os
import shutil
import sys

d = sys.argv[1]
os.makedirs(d)
try:
    p = os.path.join(d, "f")
    with open(p, "w") as f:
        f.write("data")
    os.setxattr(p, "user.greeting", b"hello")
    os.setxattr(p, "user.empty", b"")
    print(sorted(n for n in os.listxattr(p) if n.startswith("user.")))
    print(os.getxattr(p, "user.greeting"), os.getxattr(p, "user.empty"))
    for flags in (os.XATTR_CREATE,):
        try:
            os.setxattr(p, "user.greeting", b"again", flags)
        except OSError as e:
            print("create:", errno.errorcode[e.errno])
    q = os.path.join(d, "copy")
    shutil.copy2(p, q)
    print("copy:", sorted(n for n in os.listxattr(q) if n.startswith("user.")))
    os.removexattr(p, "user.greeting")
    try:
        os.getxattr(p, "user.greeting")
    except OSError as e:
        print("removed:", errno.errorcode[e.errno])
    os.symlink(p, os.path.join(d, "l"))
    try:
        os.setxattr(os.path.join(d, "l"), "user.x", b"v", follow_symlinks=False)
    except OSError as e:
        print("symlink:", errno.errorcode[e.errno])
finally:
    shutil.rmtree(d)
