#!/usr/bin/env python3
"""The many-small-files tree of scale.sh: build it, digest it, list files to read.

  scale-tree.py build DIR N [SEED]   N files of 0-1536 bytes, 1,000 per directory, laid out as
                                     DIR/dTTT/dLLL/fFFFF (32 leaf directories per top one);
                                     sizes, bytes, modes and times come from a seeded PRNG per
                                     leaf directory, so two builds are identical.
  scale-tree.py digest DIR           one line: files=, bytes=, entries= (as `find DIR | wc -l` counts),
                                     content= (sha256 over every file's path and bytes, in
                                     sorted order) and meta= (paths, types, modes, mtimes).
  scale-tree.py pick DIR COUNT       NUL-separated paths, relative to DIR, of COUNT files of the
                                     middle top-level directory, in order.

Only the standard library; building runs one process per core (SCALE_BUILD_JOBS).
"""
import hashlib
import multiprocessing
import os
import random
import stat
import sys

PER_DIR = 1000
LEAVES_PER_TOP = 32
MAX_SIZE = 1536
EPOCH = 1_600_000_000


def leaf_path(root, leaf):
    return os.path.join(root, "d%03d" % (leaf // LEAVES_PER_TOP), "d%03d" % leaf)


def build_leaf(args):
    """Write one leaf directory's files: each leaf has its own PRNG, so workers never matter."""
    root, n, seed, leaf = args
    rng = random.Random(seed * 1_000_003 + leaf)
    d = leaf_path(root, leaf)
    os.makedirs(d, exist_ok=True)
    first = leaf * PER_DIR
    for i in range(first, min(first + PER_DIR, n)):
        size = rng.randrange(MAX_SIZE + 1)
        # Half binary (incompressible), half hex text (compresses about 2:1), all unique.
        data = rng.randbytes(size) if i % 2 else rng.randbytes((size + 1) // 2).hex()[:size].encode()
        fd = os.open(os.path.join(d, "f%04d" % (i - first)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
            mtime = EPOCH + rng.randrange(100_000_000)
            os.utime(fd, (mtime, mtime))
        finally:
            os.close(fd)
    os.utime(d, (EPOCH + leaf, EPOCH + leaf))


def build(root, n, seed):
    leaves = (n + PER_DIR - 1) // PER_DIR
    os.umask(0o022)
    os.makedirs(root, exist_ok=True)
    jobs = int(os.environ.get("SCALE_BUILD_JOBS") or os.cpu_count() or 1)
    work = [(root, n, seed, leaf) for leaf in range(leaves)]
    with multiprocessing.Pool(jobs) as pool:
        for _ in pool.imap_unordered(build_leaf, work, chunksize=4):
            pass
    for top in range((leaves + LEAVES_PER_TOP - 1) // LEAVES_PER_TOP):
        os.utime(os.path.join(root, "d%03d" % top), (EPOCH + top, EPOCH + top))
    os.utime(root, (EPOCH, EPOCH))


def walk(root, rel=b""):
    """(relative path, DirEntry) for every entry below root, depth first in sorted order."""
    with os.scandir(os.path.join(root, rel) if rel else root) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        path = rel + b"/" + e.name if rel else e.name
        yield path, e
        if e.is_dir(follow_symlinks=False):
            yield from walk(root, path)


def digest(root):
    root = os.fsencode(root)
    content, meta = hashlib.sha256(), hashlib.sha256()
    files = entries = size = 0
    for path, e in walk(root):
        st = e.stat(follow_symlinks=False)
        entries += 1
        meta.update(b"%s\0%o\0%d\n" % (path, st.st_mode, st.st_mtime_ns // 1_000_000_000))
        if stat.S_ISREG(st.st_mode):
            files += 1
            with open(e.path, "rb") as f:
                data = f.read()
            size += len(data)
            content.update(b"%s\0%d\0" % (path, len(data)))
            content.update(data)
    print("files=%d bytes=%d entries=%d content=%s meta=%s"
          % (files, size, entries + 1, content.hexdigest(), meta.hexdigest()))


def pick(root, count):
    tops = sorted(n for n in os.listdir(root) if n.startswith("d"))
    top = tops[len(tops) // 2]
    out = []
    for leaf in sorted(os.listdir(os.path.join(root, top))):
        for name in sorted(os.listdir(os.path.join(root, top, leaf))):
            out.append("%s/%s/%s" % (top, leaf, name))
            if len(out) == count:
                break
        if len(out) == count:
            break
    sys.stdout.write("".join(p + "\0" for p in out))


def main(argv):
    if len(argv) >= 3 and argv[0] == "build":
        build(argv[1], int(argv[2]), int(argv[3]) if len(argv) > 3 else 19)
    elif len(argv) == 2 and argv[0] == "digest":
        digest(argv[1])
    elif len(argv) == 3 and argv[0] == "pick":
        pick(argv[1], int(argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
