#!/usr/bin/python3
"""The rooms of the source tree, checked (run from the top by `make unit`).

1. docs/architecture.md's file map ("What lives where") names every C
   source file of the tree (tests/ and build directories aside) and every
   file it names exists.
2. No file includes a header of a room above its own, and no include
   circle between modules (a module: NAME.c with NAME.h) crosses rooms.
   The ranks, lowest first:
     0 common/
     1 policy/, worker/wire/
     2 conf/
     3 worker/core/
     4 worker/net/
     5 worker/proto/
     6 the files directly in worker/ (the entries worker_main.c,
       worker_exec.c), master/, tools/, bench/
   Same-rank rooms may include each other, but never in a circle.

    /usr/bin/python3 tests/rooms.py [-v] [TOP]   -v: print the graph's figures
Exit status 1 and one line per problem when something does not hold.
"""
import os
import re
import sys

ROOMS = [  # (prefix, room, rank); the longest matching prefix wins
    ("common/", "common", 0),
    ("policy/", "policy", 1),
    ("worker/wire/", "wire", 1),
    ("conf/", "conf", 2),
    ("worker/core/", "core", 3),
    ("worker/net/", "net", 4),
    ("worker/proto/", "proto", 5),
    ("worker/", "worker", 6),   # the files above the rooms: the entries
    ("master/", "master", 6),
    ("tools/", "tools", 6),
    ("bench/", "bench", 6),
]
SKIP_DIRS = {".git", "tests", "debian", "docs", "contrib"}
MAP_HEADING = "## What lives where"


def room_of(path):
    best = None
    for prefix, room, rank in ROOMS:
        if path == prefix or path.startswith(prefix):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, room, rank)
    return (best[1], best[2]) if best else (None, None)


def sources(top):
    out = []
    for d, dirs, files in os.walk(top):
        rel = os.path.relpath(d, top)
        if rel == ".":
            dirs[:] = [x for x in dirs
                       if x not in SKIP_DIRS and not x.startswith("build")]
        for f in files:
            if f.endswith((".c", ".h")):
                out.append(os.path.normpath(os.path.join(rel, f)))
    return sorted(out)


def map_rows(top):
    """The first cells of the file map's table rows."""
    text = open(os.path.join(top, "docs/architecture.md")).read()
    start = text.find(MAP_HEADING)
    if start < 0:
        return None
    end = text.find("\n## ", start + 1)
    rows = []
    for line in text[start:end if end > 0 else len(text)].splitlines():
        if line.startswith("| `"):
            rows.append(line.split("|")[1])
    return rows


def named_files(top, cell):
    """The paths one map cell names.  `x.h` or `.h` after a path stands
    beside it; a name without a directory is in the previous one's; a
    parenthesis after a directory lists files in it, after a file it is
    a note (make targets)."""
    names, cur, stem = [], "", None
    pos = 0
    for m in re.finditer(r"`([^`]+)`|\(([^)]*)\)", cell):
        if m.group(2) is not None:          # a parenthesis
            if not cur.endswith("/"):
                continue                    # a note about a file
            for t in re.findall(r"`([^`]+)`", m.group(2)):
                names.append(cur + t)
            continue
        tok = m.group(1)
        if tok == ".h":
            if stem is None:
                names.append("?.h")
                continue
            names.append(stem + ".h")
            continue
        first = tok.split("/")[0]
        full = ("/" in tok.rstrip("/") and
                os.path.isdir(os.path.join(top, first)))
        if not full and not os.path.exists(os.path.join(top, tok)) and cur:
            d = cur if cur.endswith("/") else os.path.dirname(cur) + "/"
            tok = d + tok
        names.append(tok)
        cur = tok
        stem = tok[:-2] if tok.endswith((".c", ".h")) else None
    return names


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def includes(top, path):
    try:
        text = open(os.path.join(top, path), errors="replace").read()
    except OSError:
        return []
    return INCLUDE.findall(text)


def sccs(nodes, edges):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
    return out


def main(argv):
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    top = args[0] if args else "."
    problems = []

    srcs = sources(top)
    rows = map_rows(top)
    if rows is None:
        problems.append("docs/architecture.md: no section '%s'" % MAP_HEADING)
        rows = []
    mapped = set()
    for cell in rows:
        for name in named_files(top, cell):
            mapped.add(os.path.normpath(name.rstrip("/")))
            if not os.path.exists(os.path.join(top, name)):
                problems.append("docs/architecture.md: the file map names "
                                "%s, which does not exist" % name)
    for s in srcs:
        if s not in mapped:
            problems.append("%s: not in docs/architecture.md's file map" % s)

    modules, medges, back = {}, {}, 0
    for s in srcs:
        room, rank = room_of(s)
        if room is None:
            problems.append("%s: in no room (tests/rooms.py ROOMS)" % s)
            continue
        mod = s[:-2]
        modules[mod] = room
        for inc in includes(top, s):
            if not os.path.exists(os.path.join(top, inc)):
                problems.append('%s: includes "%s", which does not exist'
                                % (s, inc))
                continue
            iroom, irank = room_of(inc)
            if irank is None:
                continue
            if irank > rank:
                back += 1
                problems.append('%s: includes "%s": room %s (rank %d) is '
                                'above %s (rank %d)'
                                % (s, inc, iroom, irank, room, rank))
            if inc[:-2] != mod:
                medges.setdefault(mod, set()).add(inc[:-2])
    circles = [c for c in sccs(sorted(modules), medges) if len(c) > 1]
    crossing = 0
    for c in circles:
        rooms = sorted({modules.get(m, "?") for m in c})
        if len(rooms) > 1:
            crossing += 1
            problems.append("include circle across rooms %s: %s"
                            % (", ".join(rooms), " <-> ".join(c)))
    if verbose:
        print("%d source files, %d modules, %d module includes; %d "
              "includes up a room, %d circles (%d across rooms)"
              % (len(srcs), len(modules),
                 sum(len(v) for v in medges.values()), back,
                 len(circles), crossing))
        for c in circles:
            print("  circle in %s: %s" % (modules.get(c[0], "?"),
                                          " <-> ".join(c)))
    for p in problems:
        print("rooms: " + p)
    if problems:
        return 1
    print("rooms: %d files in the map, no include up a room, no circle "
          "across rooms" % len(srcs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
