"""
The picture of one institution's relationships: the institution in the centre, the institutions it is linked
to on a circle around it, one edge per neighbour labelled with the kinds of link. Pure geometry (no database,
no request, no URLs), so it is unit-tested on its own and the template only draws what it returns.

Coordinates are whole pixels in an SVG user space whose origin is the top-left corner; the page scales the
picture with its viewBox.
"""

import math
from dataclasses import dataclass

MAX_LABEL = 24  # characters of a name drawn in the picture; the full name is in the node's <title>
CHAR_WIDTH = 7  # rough width of one 12px system-font character, to keep labels inside the canvas
EDGE_CHAR_WIDTH = 6.5  # the same for the 11px edge labels
DOT_RADIUS = 7
CENTRE_HEIGHT = 32
MIN_RADIUS = 150
RADIUS_PER_NEIGHBOUR = 13  # enough vertical room between neighbouring labels near the top and bottom
LABEL_GAP = 10  # between a neighbour's dot and its label
PADDING = 12


@dataclass(frozen=True)
class Node:
    """An institution in the picture. `anchor` is the SVG text-anchor of its label."""

    institution: object
    label: str
    title: str
    x: int
    y: int
    label_x: int
    label_y: int
    anchor: str = "middle"
    is_centre: bool = False
    width: int = 0  # of the centre's box; neighbours are dots

    @property
    def box_x(self):
        return self.x - self.width // 2

    @property
    def box_y(self):
        return self.y - CENTRE_HEIGHT // 2

    @property
    def box_height(self):
        return CENTRE_HEIGHT

    @property
    def dot_radius(self):
        return DOT_RADIUS


@dataclass(frozen=True)
class Edge:
    """The line between the centre and one neighbour; `outgoing`/`incoming` say where the arrowheads go."""

    neighbour: Node
    x1: int
    y1: int
    x2: int
    y2: int
    label: str
    label_x: int
    label_y: int
    rotation: int  # degrees, about (label_x, label_y)
    kinds: tuple  # every kind of link drawn by this edge; `label` may be cut short
    title: str
    outgoing: bool
    incoming: bool


@dataclass(frozen=True)
class Network:
    width: int
    height: int
    centre: Node
    nodes: tuple  # the neighbours, clockwise from the top
    edges: tuple


def truncate(text, limit=MAX_LABEL):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _key(institution):
    return getattr(institution, "slug", None) or id(institution)


def _neighbours(centre, relationships):
    """{neighbour key: (neighbour, [relationship, …])}, ignoring links of the centre to itself."""
    found = {}
    for relationship in relationships:
        source, target = relationship.source_institution, relationship.target_institution
        if _key(source) == _key(centre):
            other = target
        elif _key(target) == _key(centre):
            other = source
        else:
            continue  # not about this institution
        if _key(other) == _key(centre):
            continue
        found.setdefault(_key(other), (other, []))[1].append(relationship)
    return sorted(found.values(), key=lambda pair: (str(pair[0]).casefold(), _key(pair[0])))


def _box_exit(dx, dy, half_width, half_height):
    """How far a ray from the centre of a box, in direction (dx, dy) of length 1, runs inside the box."""
    limits = []
    if abs(dx) > 1e-9:
        limits.append(half_width / abs(dx))
    if abs(dy) > 1e-9:
        limits.append(half_height / abs(dy))
    return min(limits)


def radius_for(count):
    return max(MIN_RADIUS, RADIUS_PER_NEIGHBOUR * count)


def layout(centre, relationships):
    """
    Place `centre` and the institutions its `relationships` (objects with source_institution,
    target_institution, kind and get_kind_display()) link it to. Links to one neighbour share one edge.
    """
    pairs = _neighbours(centre, relationships)
    count = len(pairs)
    radius = radius_for(count)
    centre_label = truncate(centre)
    centre_width = len(centre_label) * (CHAR_WIDTH + 1) + 24
    half_w, half_h = centre_width / 2, CENTRE_HEIGHT / 2

    # Work around (0, 0) first, then shift everything so the canvas starts at (PADDING, PADDING).
    raw_nodes, raw_edges = [], []
    # Half a step off the vertical, so no two labels meet head-on at the top.
    step = 2 * math.pi / count if count else 0
    for index, (other, links) in enumerate(pairs):
        angle = -math.pi / 2 + (index + 0.5) * step
        dx, dy = math.cos(angle), math.sin(angle)
        x, y = radius * dx, radius * dy
        label = truncate(other)
        if dx > 0.05:
            anchor, label_x, label_y = "start", x + DOT_RADIUS + LABEL_GAP, y + 4
        elif dx < -0.05:
            anchor, label_x, label_y = "end", x - DOT_RADIUS - LABEL_GAP, y + 4
        else:  # the one node straight below the centre (odd counts): its label goes under the dot
            anchor, label_x = "middle", x
            label_y = y - DOT_RADIUS - 8 if dy < 0 else y + DOT_RADIUS + 16
        raw_nodes.append(dict(institution=other, label=label, title=str(other), x=x, y=y, label_x=label_x,
                              label_y=label_y, anchor=anchor))

        outgoing = any(_key(r.source_institution) == _key(centre) for r in links)
        incoming = any(_key(r.target_institution) == _key(centre) for r in links)
        kinds = []
        for r in links:
            if r.get_kind_display() not in kinds:
                kinds.append(r.get_kind_display())
        start = _box_exit(dx, dy, half_w, half_h) + 3
        end = radius - DOT_RADIUS - 3
        # The label runs along its edge (turned to read left to right), so labels of neighbouring edges
        # never cross each other; it is cut to the length of the edge.
        along = (start + end) / 2
        rotation = math.degrees(angle)
        if rotation > 90:
            rotation -= 180
        elif rotation < -90:
            rotation += 180
        raw_edges.append(dict(
            x1=start * dx, y1=start * dy, x2=end * dx, y2=end * dy,
            label=truncate(", ".join(kinds), max(4, int((end - start - 8) / EDGE_CHAR_WIDTH))),
            label_x=along * dx, label_y=along * dy, rotation=round(rotation), kinds=tuple(kinds),
            title="; ".join(f"{r.source_institution} {r.get_kind_display()} {r.target_institution}"
                            for r in links),
            outgoing=outgoing, incoming=incoming,
        ))

    # The canvas: every dot and (roughly measured) label must fit.
    xs, ys = [-half_w, half_w], [-half_h, half_h]
    for node in raw_nodes:
        width = len(node["label"]) * CHAR_WIDTH
        left = {"start": node["label_x"], "end": node["label_x"] - width}.get(node["anchor"],
                                                                             node["label_x"] - width / 2)
        xs += [node["x"] - DOT_RADIUS, node["x"] + DOT_RADIUS, left, left + width]
        ys += [node["y"] - DOT_RADIUS, node["y"] + DOT_RADIUS, node["label_y"] - 12, node["label_y"] + 4]
    shift_x, shift_y = PADDING - min(xs), PADDING - min(ys)

    def at(value, shift):
        return round(value + shift)

    nodes = tuple(
        Node(**{**n, "x": at(n["x"], shift_x), "y": at(n["y"], shift_y), "label_x": at(n["label_x"], shift_x),
                "label_y": at(n["label_y"], shift_y)})
        for n in raw_nodes
    )
    edges = tuple(
        Edge(neighbour=node, x1=at(e["x1"], shift_x), y1=at(e["y1"], shift_y), x2=at(e["x2"], shift_x),
             y2=at(e["y2"], shift_y), label=e["label"], label_x=at(e["label_x"], shift_x),
             label_y=at(e["label_y"], shift_y), rotation=e["rotation"], kinds=e["kinds"], title=e["title"],
             outgoing=e["outgoing"], incoming=e["incoming"])
        for node, e in zip(nodes, raw_edges, strict=True)
    )
    centre_node = Node(
        institution=centre, label=centre_label, title=str(centre), x=at(0, shift_x), y=at(0, shift_y),
        label_x=at(0, shift_x), label_y=at(5, shift_y), is_centre=True, width=round(centre_width),
    )
    return Network(
        width=math.ceil(max(xs) - min(xs) + 2 * PADDING), height=math.ceil(max(ys) - min(ys) + 2 * PADDING),
        centre=centre_node, nodes=nodes, edges=edges,
    )
