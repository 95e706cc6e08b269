#!/usr/bin/env python3
"""Import cycles between the files of src/: which file names which (through `crate::a::b`,
`super::x`, `self::x` paths outside comments), and the strongly connected components of that graph
with more than one file. Prints the components (none: no cycle) at two granularities: between the
top-level modules (layers), and between files. A file's paths to its own ancestors (a child's
`use super::Graph` to its folder's `mod.rs`, which declares the child) are not counted: a folder's
`mod.rs` and its files always name each other, and that is not the cycle this looks for.

    python3 scripts/import_cycles.py
"""
import os, re, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src')
files = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.relpath(os.path.join(d, f), root)
            parts = p[:-3].split(os.sep)
            if parts[-1] == 'mod':
                parts = parts[:-1]
            if parts == ['lib']:
                parts = []
            files[tuple(parts)] = p

def resolve(path):
    """the longest prefix of `path` (a module path) that is a file"""
    for k in range(len(path), -1, -1):
        if tuple(path[:k]) in files:
            return tuple(path[:k])
    return None

edges = {m: set() for m in files}
for m, p in files.items():
    # a `super::` path starts from the file's module: a file `a/b.rs` is module a::b, super = a
    for line in open(os.path.join(root, p)):
        if line.lstrip().startswith('//'):
            continue
        for hit in re.findall(r'(?:\$?crate|super(?:::super)*|self)::[A-Za-z_][\w:]*', line):
            segs = hit.split('::')
            if segs[0] in ('crate', '$crate'):
                target = segs[1:]
            elif segs[0] == 'self':
                target = list(m) + segs[1:]
            else:
                ups = segs.count('super')
                target = list(m)[:len(m) - ups] + segs[ups:]
            t = resolve([s for s in target if s])
            if t is not None and t != m and t != tuple(m[:len(t)]):
                edges[m].add(t)

def sccs(nodes, edges):
    index, low, stack, on, out, i = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            out.append(comp)
    for v in nodes:
        if v not in index: visit(v)
    return [c for c in out if len(c) > 1]

top = lambda m: m[:1]
layer_edges = {}
for m, ts in edges.items():
    for t in ts:
        if top(m) and top(t) and top(m) != top(t):
            layer_edges.setdefault(top(m), set()).add(top(t))
name = lambda m: '::'.join(m) or 'lib'
print('between top-level modules:')
cs = sccs(sorted({top(m) for m in files if m}), layer_edges)
print('  no cycle' if not cs else '\n'.join('  cycle: ' + ', '.join(sorted(map(name, c))) for c in cs))
print('between files:')
cs = sccs(sorted(files), edges)
print('  no cycle' if not cs else '\n'.join('  cycle of %d files: %s' % (len(c), ', '.join(sorted(files[x] for x in c))) for c in cs))
