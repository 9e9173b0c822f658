"""A recorded graph drawn with matplotlib alone: a box of text per node, placed by graph_layout,
and an arrow per edge from an input's box down to the op that used it. graph.py says what the
boxes hold; this module only measures, places and draws them.
"""
import dataclasses

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path

from chainrule.viz.figure import DPI
from chainrule.viz.graph_layout import layered

FONT_SIZE = 7                        # points
# DejaVu Sans Mono (matplotlib's own monospace font) advances 0.602 em per character, so a box's
# width follows from its longest line without rendering it first.
CHAR_WIDTH = 0.602 * FONT_SIZE / 72  # inches
LINE_HEIGHT = 1.3 * FONT_SIZE / 72
PADDING = 0.08                       # inches of box around the text
ROW_GAP = 0.34                       # inches between layers, room for arrows to be seen
MARGIN = 0.2
LEGEND_HEIGHT = 0.3
# Fill and edge per kind, after torchviz: parameters light blue, the output green.
STYLES = {"op": ("#f2f2f2", "#555555"), "parameter": ("#cfe2f3", "#3d6e9c"),
          "leaf": ("#fce5cd", "#b45f06"), "output": ("#d9ead3", "#38761d")}
LEGEND = {"op": "op (output shape, saved for backward)", "parameter": "parameter",
          "leaf": "leaf (requires grad)", "output": "output"}


@dataclasses.dataclass
class Box:
    """One node as drawn: its lines of text, its kind (a key of STYLES), and whether backward has
    freed what it saved (drawn dashed). arity: the op's number of inputs, so that arrows arrive
    spread across its top edge in argument order."""
    lines: list
    kind: str
    freed: bool = False
    arity: int = 1

    @property
    def width(self):
        return max(len(line) for line in self.lines) * CHAR_WIDTH + 2 * PADDING

    @property
    def height(self):
        return len(self.lines) * LINE_HEIGHT + 2 * PADDING


def draw(boxes, edges, dtype="float32"):
    """A Figure of the boxes, joined by edges (source, target, input position), sized to fit;
    dtype: the one the boxes leave unnamed, said in the legend."""
    layout = layered([box.width for box in boxes], [(s, t) for s, t, _ in edges])
    band = max(box.height for box in boxes)     # the height of a layer's boxes
    row_height = band + ROW_GAP
    width = max(layout.width + 2 * MARGIN,
                _legend_width(_entries(boxes, dtype)))
    height = layout.layers * row_height + 2 * MARGIN + LEGEND_HEIGHT
    fig = Figure(figsize=(width, height), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()

    left = (width - layout.width) / 2     # the drawing centred when the legend is the wider

    def centre(x, layer):
        return x + left, height - LEGEND_HEIGHT - MARGIN - (layer + 0.5) * row_height

    for (source, target, position), route in zip(edges, layout.routes):
        _arrow(ax, [centre(x, layer) for x, layer in route], boxes[source], boxes[target],
               position, band)
    for box, x, layer in zip(boxes, layout.x, layout.layer):
        _box(ax, box, *centre(x, layer))
    _legend(fig, _entries(boxes, dtype))
    return fig


def _box(ax, box, x, y):
    fill, edge = STYLES[box.kind]
    ax.add_patch(FancyBboxPatch((x - box.width / 2, y - box.height / 2), box.width, box.height,
                                boxstyle="round,pad=0,rounding_size=0.05", facecolor=fill,
                                edgecolor=edge, linewidth=0.8, zorder=2,
                                linestyle="--" if box.freed else "-"))
    ax.text(x, y, "\n".join(box.lines), ha="center", va="center", family="monospace",
            fontsize=FONT_SIZE, linespacing=1.3, color="#777777" if box.freed else "black",
            zorder=3)


def _arrow(ax, points, source, target, position, band):
    """From the bottom of the source's box through the route's points to the top of the target's,
    arriving at a place along its top edge that follows the input's position. Through a layer the
    line runs straight down (its point has its own slot in the layer), so it bends only between
    layers, where there are no boxes to cross."""
    (x0, y0), (x1, y1) = points[0], points[-1]
    share = (position + 1) / (target.arity + 1) - 0.5
    start = (x0, y0 - source.height / 2)
    end = (x1 + 0.8 * share * target.width, y1 + target.height / 2)
    through = [(x, y + dy) for x, y in points[1:-1] for dy in (band / 2, -band / 2)]
    path = Path([start, *through, end])
    ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=7, linewidth=0.7,
                                 color="#444444", zorder=1))


def _entries(boxes, dtype):
    """The legend's (label, fill, edge, line style), for the kinds of box drawn."""
    kinds = {box.kind for box in boxes}
    entries = [(LEGEND[kind] + (f"; {dtype} unless named" if kind == "op" else ""), *STYLES[kind],
                "-") for kind in LEGEND if kind in kinds]
    if any(box.freed for box in boxes):
        entries.append(("freed by backward", STYLES["op"][0], STYLES["op"][1], "--"))
    return entries


def _legend_width(entries):
    # DejaVu Sans averages about 0.55 em a character; each key adds its handle (1.5 em), the gap
    # after it (0.8 em) and the column spacing (1.2 em)
    em = FONT_SIZE / 72
    return sum((0.55 * len(entry[0]) + 3.5) * em for entry in entries) + 2 * MARGIN


def _legend(fig, entries):
    handles = [Patch(facecolor=fill, edgecolor=edge, linestyle=style, label=label)
               for label, fill, edge, style in entries]
    fig.legend(handles=handles, loc="upper center", ncols=len(handles), fontsize=FONT_SIZE,
               frameon=False, bbox_to_anchor=(0.5, 1.0), handlelength=1.5, columnspacing=1.2)
