"""A layered drawing of a directed acyclic graph (Sugiyama's method, its simplest useful form):
layers, virtual points on long edges, an order within each layer that reduces crossings, and x
positions that keep boxes apart. Pure Python on small graphs; graph.py draws what this places.

Sugiyama, Tagawa & Toda (1981), "Methods for visual understanding of hierarchical system
structures"; the barycentre heuristic is theirs.
"""
import dataclasses
import itertools

# Order sweeps (down then up): crossings stop improving after a few on graphs of ~50 nodes.
SWEEPS = 6
# x sweeps (alternately down and up); and how much harder a long edge's virtual point holds its
# place than a box, so that trunks stay straight and the boxes move around them.
POSITION_SWEEPS = 8
VIRTUAL_WEIGHT = 4.0
# Horizontal gap between neighbouring boxes, and the width of a long edge's virtual point, inches.
GAP = 0.25
POINT_WIDTH = 0.05


@dataclasses.dataclass
class Layout:
    """Where each node sits (centre x, layer; layer 0 at the top) and each edge's route: the
    points, from its source's centre to its target's, through the layers it crosses."""
    x: list
    layer: list
    routes: list     # per edge: [(x, layer), ...], source first
    layers: int
    width: float     # from the leftmost point's left edge (at 0) to the rightmost's right edge


def layered(widths, edges):
    """Place nodes 0..n-1 (widths in inches) joined by edges (source, target), sources drawn above
    their targets. Each node sits one layer above its nearest consumer, on the longest path to the
    graph's sinks, so that a leaf or a weight sits just above the op that first uses it."""
    layer = _layers(len(widths), edges)
    rows, width, chains = _with_points(layer, widths, edges)
    successors, predecessors = _neighbours(rows, chains)
    rows = _order(rows, successors, predecessors)
    x = _positions(rows, width, predecessors, successors, len(widths))
    row_of = {point: index for index, row in enumerate(rows) for point in row}
    routes = [[(x[point], row_of[point]) for point in chain] for chain in chains]
    return Layout([x[i] for i in range(len(widths))], layer, routes, len(rows),
                  max(x[p] + width[p] / 2 for row in rows for p in row))


def _layers(count, edges):
    """Layer of each node: 0 for the deepest source, the sinks at the bottom; every other node one
    above the highest of its consumers (the longest path to a sink, counted from the top)."""
    consumers = [[] for _ in range(count)]
    producers = [[] for _ in range(count)]
    for source, target in edges:
        consumers[source].append(target)
        producers[target].append(source)
    height = [0] * count                       # longest path down to a sink
    for node in reversed(_topological(count, producers, consumers)):
        height[node] = max([height[c] + 1 for c in consumers[node]], default=0)
    top = max(height, default=0)
    return [top - h for h in height]


def _topological(count, producers, consumers):
    """Kahn's order (every source before its targets), ties broken by node number."""
    waiting = [len(p) for p in producers]
    ready = [node for node in range(count) if waiting[node] == 0]
    order = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for target in consumers[node]:
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    if len(order) != count:
        raise ValueError("layered: the graph has a cycle")
    return order


def _with_points(layer, widths, edges):
    """The layers as lists of point ids (nodes first, then virtual points), every point's width, and
    each edge as its chain of points. A source's long edges share its virtual points: they run
    down one trunk and branch off where their targets are (a weight used at every step of an
    unrolled recurrence is one line, not one per step)."""
    rows = [[] for _ in range(max(layer, default=0) + 1)]
    for node, row in enumerate(layer):
        rows[row].append(node)
    width = dict(enumerate(widths))
    trunk = {}                                  # (source, row) -> its virtual point there
    chains = []
    for source, target in edges:
        chain = [source]
        for row in range(layer[source] + 1, layer[target]):
            if (source, row) not in trunk:
                trunk[source, row] = len(width)
                width[len(width)] = POINT_WIDTH
                rows[row].append(trunk[source, row])
            chain.append(trunk[source, row])
        chains.append(chain + [target])
    return rows, width, chains


def _neighbours(rows, chains):
    successors = {point: [] for row in rows for point in row}
    predecessors = {point: [] for row in rows for point in row}
    links = {(above, below) for chain in chains for above, below in itertools.pairwise(chain)}
    for above, below in sorted(links):     # a shared trunk segment counts once
        successors[above].append(below)
        predecessors[below].append(above)
    return successors, predecessors


def _order(rows, successors, predecessors):
    """Sweep down (each layer sorted by the mean rank of its points' predecessors) and up (by
    successors), keeping the ordering with the fewest crossings seen."""
    best, fewest = [list(row) for row in rows], _crossings(rows, successors)
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        span = range(1, len(rows)) if down else range(len(rows) - 2, -1, -1)
        for index in span:
            fixed = rows[index - 1] if down else rows[index + 1]
            rank = {point: position for position, point in enumerate(fixed)}
            links = predecessors if down else successors
            rows[index] = sorted(rows[index], key=lambda p: _barycentre(p, links, rank, rows[index]))
        count = _crossings(rows, successors)
        if count < fewest:
            best, fewest = [list(row) for row in rows], count
    return best


def _barycentre(point, links, rank, row):
    """Mean rank of the point's neighbours in the fixed layer; a point with none keeps its place."""
    ranks = [rank[other] for other in links[point] if other in rank]
    return sum(ranks) / len(ranks) if ranks else row.index(point)


def _crossings(rows, successors):
    """Edge crossings between consecutive layers: pairs of edges whose ends swap order."""
    total = 0
    for upper, lower in itertools.pairwise(rows):
        rank = {point: position for position, point in enumerate(lower)}
        ends = [(position, rank[s]) for position, point in enumerate(upper)
                for s in successors[point]]
        total += sum(1 for i, (a, b) in enumerate(ends) for c, d in ends[i + 1:]
                     if (a - c) * (b - d) < 0)
    return total


def _positions(rows, width, predecessors, successors, nodes):
    """x of every point: packed left to right, then pulled towards its neighbours' mean x, sweeping
    down (towards the inputs) and up (towards the consumers). A virtual point follows only the
    point above it, and pulls harder, so that a trunk runs straight and boxes make way for it."""
    x = {}
    for row in rows:
        _pack(row, width, x, {point: 0.0 for point in row}, {point: 1.0 for point in row})
    for sweep in range(POSITION_SWEEPS):
        down = sweep % 2 == 0
        for row in (rows if down else reversed(rows)):
            wanted, weight = {}, {}
            for point in row:
                virtual = point >= nodes
                links = predecessors[point] if down or virtual else successors[point]
                wanted[point] = sum(x[o] for o in links) / len(links) if links else x[point]
                weight[point] = VIRTUAL_WEIGHT if virtual else 1.0
            _pack(row, width, x, wanted, weight)
    left = min(x[p] - width[p] / 2 for row in rows for p in row)
    return {p: value - left for p, value in x.items()}


def _pack(row, width, x, wanted, weight):
    """Set x for the row, in its order and with the gaps kept, as near the wanted x as possible:
    the least weighted squares, found exactly by pooling adjacent violators (isotonic regression
    on x minus the space the points to its left need)."""
    offsets, offset = [], 0.0
    for index, point in enumerate(row):
        if index:
            offset += (width[row[index - 1]] + width[point]) / 2 + GAP
        offsets.append(offset)
    blocks = []                            # [mean, weight, count], means increasing
    for point, offset in zip(row, offsets):
        blocks.append([wanted[point] - offset, weight[point], 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, total, count = blocks.pop()
            before = blocks[-1]
            merged = before[1] + total
            blocks[-1] = [(before[0] * before[1] + mean * total) / merged, merged, before[2] + count]
    shifts = [mean for mean, _, count in blocks for _ in range(count)]
    for point, offset, shift in zip(row, offsets, shifts):
        x[point] = offset + shift
