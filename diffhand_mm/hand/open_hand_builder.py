"""Procedural geometry of the open right-hand template (used by tools/generate_open_hand.py).

Canonical frame (right hand, metres): origin at the wrist joint, +y from the wrist towards the
middle fingertip, +x towards the thumb (radial side), +z out of the palm (palmar side); the
back of the hand faces -z. The hand is flat with slightly spread fingers.

The surface is built from rings of vertices: a palm tube (open at the wrist), four finger tubes
whose base rings are arcs of the palm's distal ring (so neighbouring fingers share the web
vertices between them), and a thumb tube whose base ring is the border of a patch cut out of
the palm's radial-palmar side. Every tube ends in a cap with one apex vertex (the fingertip).
Ring counts are chosen so that the mesh has exactly 778 vertices, like MANO's; vertex i is
NOT MANO's vertex i.
"""
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np

NUM_VERTICES = 778
FINGERS = ('index', 'middle', 'ring', 'pinky')  # palm order, radial to ulnar
FINGER_JOINTS = {'index': (1, 2, 3), 'middle': (4, 5, 6), 'ring': (10, 11, 12),
                 'pinky': (7, 8, 9), 'thumb': (13, 14, 15)}

# Anatomy, metres (adult hand; joint-centre distances close to phalanx lengths).
MCP_POSITIONS = {'index': (0.027, 0.080), 'middle': (0.007, 0.084),
                 'ring': (-0.012, 0.080), 'pinky': (-0.029, 0.072)}  # (x, y), z = 0
FINGER_SPLAY_DEG = {'index': 7.0, 'middle': 1.0, 'ring': -5.0, 'pinky': -12.0}  # towards +x
SEGMENT_LENGTHS = {'index': (0.039, 0.023, 0.020), 'middle': (0.043, 0.027, 0.021),
                   'ring': (0.040, 0.026, 0.020), 'pinky': (0.032, 0.019, 0.018),
                   'thumb': (0.042, 0.031, 0.026)}  # MCP->PIP, PIP->DIP, DIP->tip (thumb: CMC..)
# Half-widths at MCP, PIP, DIP and at the start of the fingertip cap (thumb: CMC.. ).
FINGER_RADII = {'index': (0.0105, 0.0095, 0.0085, 0.0078),
                'middle': (0.0105, 0.0098, 0.0087, 0.0080),
                'ring': (0.0100, 0.0092, 0.0082, 0.0076),
                'pinky': (0.0088, 0.0080, 0.0072, 0.0067),
                'thumb': (0.0150, 0.0118, 0.0110, 0.0098)}
FLATNESS = 0.86  # dorso-palmar half-thickness / half-width of a finger cross-section
THUMB_CMC = np.array([0.020, 0.020, 0.006])
THUMB_DIRECTIONS = ((0.55, 0.80, 0.25), (0.45, 0.87, 0.15), (0.36, 0.92, 0.10))
# The thumb pad faces this far (radians) from the palm normal towards the ulnar side.
THUMB_PAD_ROTATION = 0.9

# Palm: wrist ring and knuckle-level sections (half-width, half-thickness, z centre).
WRIST_Y, WRIST_HALF_WIDTH, WRIST_HALF_THICKNESS = -0.012, 0.029, 0.017
PALM_HALF_THICKNESS, PALM_Z_CENTRE = 0.0135, 0.003
PALM_EDGES = (0.038, -0.0385)  # x of the radial and ulnar palm border at the knuckles
NUM_PALM_RINGS = 9
PALM_RING = 34  # vertices per palm ring: 17 dorsal + 17 palmar columns
FINGER_RING = 10  # vertices per finger ring (4 columns per finger on each side + 2 shared)
THUMB_RING = 12
THUMB_PATCH_RINGS = (3, 5)  # palm rings bounding the cut-out patch
THUMB_PATCH_COLUMNS = (30, 31, 32, 33, 0)  # palm-ring columns bounding the patch

PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14)


@dataclass
class TubeInfo:
    """Where one digit's vertices are: rings of vertex ids and their arc length s (metres)."""
    rings: List[np.ndarray] = field(default_factory=list)
    ring_s: List[float] = field(default_factory=list)
    apex: int = -1


def _unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def finger_axes(name: str):
    """(origin, unit direction) of a straight finger, origin at its MCP joint."""
    x, y = MCP_POSITIONS[name]
    angle = np.deg2rad(FINGER_SPLAY_DEG[name])
    return np.array([x, y, 0.0]), np.array([np.sin(angle), np.cos(angle), 0.0])


def skeleton_joints() -> np.ndarray:
    """(16, 3) rest joints in MANO's order, and the 5 fingertip points, metres."""
    joints = np.zeros((16, 3))
    for name in FINGERS:
        origin, direction = finger_axes(name)
        lengths = SEGMENT_LENGTHS[name]
        for k, joint in enumerate(FINGER_JOINTS[name]):
            joints[joint] = origin + direction * sum(lengths[:k])
    point = THUMB_CMC.copy()
    for k, joint in enumerate(FINGER_JOINTS['thumb']):
        joints[joint] = point
        point = point + _unit(THUMB_DIRECTIONS[k]) * SEGMENT_LENGTHS['thumb'][k]
    return joints


def _palm_distal_ring():
    """(34, 3) knuckle-level palm ring: per finger a half-ellipse arc, web vertices shared."""
    centres_x = [MCP_POSITIONS[f][0] for f in FINGERS]
    borders = [PALM_EDGES[0]] + [(a + b) / 2 for a, b in zip(centres_x, centres_x[1:])] + \
        [PALM_EDGES[1]]
    phis = np.deg2rad(18 + 36 * np.arange(5))  # dorsal arc, radial to ulnar
    dorsal, palmar = np.zeros((17, 3)), np.zeros((17, 3))
    for j, name in enumerate(FINGERS):
        centre = (borders[j] + borders[j + 1]) / 2
        half_width = (borders[j] - borders[j + 1]) / (2 * np.cos(phis[0]))
        y_mcp = MCP_POSITIONS[name][1]
        for k, phi in enumerate(phis):
            col = 4 * j + k
            x = centre + half_width * np.cos(phi)
            z_offset = PALM_HALF_THICKNESS * np.sin(phi)
            # The palmar skin of a finger starts ~1.5 cm beyond the MCP, the dorsal at it.
            dorsal_new = np.array([x, y_mcp + 0.006, PALM_Z_CENTRE - z_offset])
            palmar_new = np.array([x, y_mcp + 0.016, PALM_Z_CENTRE + z_offset])
            if k == 0 and j > 0:  # web vertex shared with the previous finger
                dorsal[col] = (dorsal[col] + dorsal_new) / 2
                palmar[col] = (palmar[col] + palmar_new) / 2
                dorsal[col, 1] = palmar[col, 1] = dorsal[col, 1] + 0.010
            else:
                dorsal[col], palmar[col] = dorsal_new, palmar_new
    return np.concatenate([dorsal, palmar[::-1]])


def _palm_rings() -> np.ndarray:
    """(NUM_PALM_RINGS, 34, 3) palm ring vertices from the wrist to the knuckles."""
    distal = _palm_distal_ring()
    # Column parameter: x of the column on the distal ring, normalised to [-1, 1].
    u = (2 * distal[:, 0] - PALM_EDGES[0] - PALM_EDGES[1]) / (PALM_EDGES[0] - PALM_EDGES[1])
    side = np.where(np.arange(PALM_RING) < 17, -1.0, 1.0)  # -1 dorsal (-z), +1 palmar
    rings = np.zeros((NUM_PALM_RINGS, PALM_RING, 3))
    for r in range(NUM_PALM_RINGS):
        t = r / (NUM_PALM_RINGS - 1)
        half_width = WRIST_HALF_WIDTH + (0.5 * (PALM_EDGES[0] - PALM_EDGES[1]) - WRIST_HALF_WIDTH) \
            * np.sin(0.5 * np.pi * min(1.0, 1.3 * t))
        centre_x = 0.5 * (PALM_EDGES[0] + PALM_EDGES[1]) * t
        half_thick = WRIST_HALF_THICKNESS + (PALM_HALF_THICKNESS - WRIST_HALF_THICKNESS) * t
        # Rounded-rectangle (superellipse) section; 0.97 keeps the side vertices apart.
        uu = 0.97 * u
        z_profile = (1 - np.abs(uu) ** 3) ** (1 / 3)
        # Palmar pads: thenar (radial) and hypothenar (ulnar) bulge, mid-palm hollow.
        pads = side.clip(0) * 0.003 * (np.abs(u) ** 2) * np.sin(np.pi * t)
        section = np.stack([centre_x + half_width * uu,
                            np.zeros(PALM_RING),
                            0.5 * PALM_Z_CENTRE + side * (half_thick * z_profile + pads)], 1)
        section[:, 1] = WRIST_Y + (distal[:, 1] - WRIST_Y) * t
        blend = np.clip((t - 0.6) / 0.4, 0.0, 1.0) ** 2  # knuckle shape only near the end
        rings[r] = (1 - blend) * section + blend * distal
        rings[r, :, 1] = section[:, 1]
    return rings


def _ring_points(centre, lateral, dorsal, half_width, phis):
    """Points of an elliptic cross-section: phi = 90 deg is dorsal, 0 deg lateral."""
    return centre + half_width * (np.cos(phis)[:, None] * lateral
                                  + FLATNESS * np.sin(phis)[:, None] * dorsal)


def _radius_at(name: str, s: float) -> float:
    stations = np.cumsum([0.0] + list(SEGMENT_LENGTHS[name][:2]))
    stations = np.append(stations, sum(SEGMENT_LENGTHS[name]) - FINGER_RADII[name][3])
    radius = np.interp(s, stations, FINGER_RADII[name])
    # Knuckles are slightly thicker than the shafts.
    for joint_s in stations[1:3]:
        radius *= 1 + 0.06 * np.exp(-((s - joint_s) / 0.004) ** 2)
    return float(radius)


def _finger_ring_s(name: str) -> List[float]:
    l1, l2, l3 = SEGMENT_LENGTHS[name]
    tip_start = l1 + l2 + l3 - FINGER_RADII[name][3]
    s = [0.55 * l1, l1 - 0.0045, l1 + 0.0045, l1 + 0.5 * l2, l1 + l2 - 0.0035,
         l1 + l2 + 0.0035, l1 + l2 + 0.4 * l3, tip_start]
    if name == 'pinky':  # short middle phalanx: its mid ring is not needed
        s.pop(3)
    return s


class _MeshWriter:
    """Collects vertices and quads/triangles (winding is fixed afterwards)."""

    def __init__(self):
        self.vertices: List[np.ndarray] = []
        self.faces: List[tuple] = []

    def add(self, points) -> np.ndarray:
        start = len(self.vertices)
        self.vertices.extend(np.atleast_2d(points))
        return np.arange(start, len(self.vertices))

    def strip(self, ring_a, ring_b):
        """Quads (as two triangles) between two closed rings of equal length."""
        n = len(ring_a)
        for k in range(n):
            a0, a1, b0, b1 = ring_a[k], ring_a[(k + 1) % n], ring_b[k], ring_b[(k + 1) % n]
            self.faces += [(a0, a1, b1), (a0, b1, b0)]

    def cap(self, ring, apex):
        n = len(ring)
        self.faces += [(ring[k], ring[(k + 1) % n], apex) for k in range(n)]


def _tube(mesh, name, base_ring, centre_of, frame_of, ring_s, start_phis, ring_size):
    """Add a digit's tube rings, cap and apex; angles blend from the base ring's to uniform."""
    info = TubeInfo(rings=[base_ring], ring_s=[np.nan])
    uniform = start_phis[0] + 2 * np.pi * np.arange(ring_size) / ring_size
    previous = base_ring
    for i, s in enumerate(ring_s):
        alpha = min(1.0, (i + 1) / 3)
        phis = (1 - alpha) * start_phis + alpha * uniform
        lateral, dorsal, _ = frame_of(s)
        ring = mesh.add(_ring_points(centre_of(s), lateral, dorsal, _radius_at(name, s), phis))
        mesh.strip(previous, ring)
        info.rings.append(ring)
        info.ring_s.append(s)
        previous = ring
    tip_radius = FINGER_RADII[name][3]
    cap_angle = np.deg2rad(50)
    s_cap = ring_s[-1] + tip_radius * np.sin(cap_angle)
    lateral, dorsal, direction = frame_of(s_cap)
    cap_points = _ring_points(centre_of(s_cap), lateral, dorsal,
                              tip_radius * np.cos(cap_angle), uniform)
    cap_ring = mesh.add(cap_points)
    mesh.strip(previous, cap_ring)
    apex_point = centre_of(ring_s[-1]) + direction * tip_radius
    info.apex = int(mesh.add(apex_point)[0])
    mesh.cap(cap_ring, info.apex)
    info.rings.append(cap_ring)
    info.ring_s += [s_cap]
    return info


def _thumb_frame(s):
    lengths = np.cumsum(SEGMENT_LENGTHS['thumb'])
    segment = int(np.searchsorted(lengths[:-1], s, side='right'))
    direction = _unit(THUMB_DIRECTIONS[segment])
    palmar = np.array([0.0, 0.0, 1.0])
    pad = _unit(np.cos(THUMB_PAD_ROTATION) * palmar - np.sin(THUMB_PAD_ROTATION) * np.array(
        [1.0, 0.0, 0.0]))
    pad = _unit(pad - direction * (pad @ direction))
    lateral = _unit(np.cross(pad, direction))
    return lateral, -pad, direction


def _thumb_centre(s):
    point, remaining = THUMB_CMC.copy(), s
    for k, length in enumerate(SEGMENT_LENGTHS['thumb']):
        step = min(remaining, length) if k < 2 else remaining
        point = point + _unit(THUMB_DIRECTIONS[k]) * step
        remaining -= step
        if remaining <= 0:
            break
    return point


def build_mesh() -> Dict[str, object]:
    """Build the template surface.

    Returns:
        dict with ``vertices`` (778, 3) metres, ``faces`` (F, 3) int64 (consistently wound,
        outward), ``palm_rings`` (9, 34) vertex ids (-1 where the thumb patch was cut),
        ``tubes`` {digit: TubeInfo}, ``fingertip_ids`` (5,) thumb..pinky.
    """
    mesh = _MeshWriter()
    palm_points = _palm_rings()
    palm_ids = np.full((NUM_PALM_RINGS, PALM_RING), -1)
    r0, r1 = THUMB_PATCH_RINGS
    cols = THUMB_PATCH_COLUMNS
    cut = {(r, c) for r in range(r0 + 1, r1) for c in cols[1:-1]}
    for r in range(NUM_PALM_RINGS):
        for c in range(PALM_RING):
            if (r, c) not in cut:
                palm_ids[r, c] = mesh.add(palm_points[r, c])[0]
    patch_quads = {(r, c) for r in range(r0, r1) for c in cols[:-1]}
    for r in range(NUM_PALM_RINGS - 1):
        for c in range(PALM_RING):
            if (r, c) in patch_quads:
                continue
            c1 = (c + 1) % PALM_RING
            a0, a1, b0, b1 = palm_ids[r, c], palm_ids[r, c1], palm_ids[r + 1, c], palm_ids[r + 1, c1]
            mesh.faces += [(a0, a1, b1), (a0, b1, b0)]

    tubes = {}
    distal = palm_ids[-1]
    for j, name in enumerate(FINGERS):
        dorsal_cols = list(range(4 * j, 4 * j + 5))
        base = np.array([distal[c] for c in dorsal_cols]
                        + [distal[PALM_RING - 1 - c] for c in dorsal_cols[::-1]])
        origin, direction = finger_axes(name)
        lateral = _unit(np.cross(direction, [0.0, 0.0, 1.0]))  # radial side (+x)
        dorsal = np.array([0.0, 0.0, -1.0])
        start_phis = np.deg2rad(18 + 36 * np.arange(FINGER_RING))
        tubes[name] = _tube(mesh, name, base, lambda s, o=origin, d=direction: o + d * s,
                            lambda s, l=lateral, dd=dorsal, d=direction: (l, dd, d),
                            _finger_ring_s(name), start_phis, FINGER_RING)

    # Thumb: base ring = border of the patch, walked once around.
    border = [(r0, c) for c in cols] + [(r0 + 1, cols[-1])] + \
        [(r1, c) for c in cols[::-1]] + [(r0 + 1, cols[0])]
    base = np.array([palm_ids[rc] for rc in border])
    l1, l2, l3 = SEGMENT_LENGTHS['thumb']
    tip_start = l1 + l2 + l3 - FINGER_RADII['thumb'][3]
    thumb_s = [0.026, 0.034, l1 - 0.005, l1 + 0.005, l1 + 0.5 * l2, l1 + l2 - 0.004,
               l1 + l2 + 0.004, l1 + l2 + 0.45 * l3, tip_start]
    lateral, dorsal, _ = _thumb_frame(thumb_s[0])
    offsets = np.asarray(mesh.vertices)[base] - _thumb_centre(thumb_s[0])
    start_phis = np.unwrap(np.arctan2((offsets @ dorsal) / FLATNESS, offsets @ lateral))
    if start_phis[-1] < start_phis[0]:  # walk the tube rings the same way round as the border
        start_phis = -start_phis
        lateral = -lateral
        flip = True
    else:
        flip = False

    def thumb_frame(s):
        lat, dor, d = _thumb_frame(s)
        return (-lat if flip else lat), dor, d

    tubes['thumb'] = _tube(mesh, 'thumb', base, _thumb_centre, thumb_frame, thumb_s,
                           start_phis, THUMB_RING)
    vertices = np.asarray(mesh.vertices)
    if len(vertices) != NUM_VERTICES:
        raise RuntimeError(f'template has {len(vertices)} vertices, expected {NUM_VERTICES}')
    faces = orient_faces(np.asarray(mesh.faces, dtype=np.int64), vertices)
    tip_ids = np.array([tubes[d].apex for d in ('thumb', 'index', 'middle', 'ring', 'pinky')])
    return dict(vertices=vertices, faces=faces, palm_rings=palm_ids, tubes=tubes,
                fingertip_ids=tip_ids)


def orient_faces(faces: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Make the winding consistent across shared edges, then outward (positive volume)."""
    edge_faces: Dict[tuple, List[int]] = {}
    for f, tri in enumerate(faces):
        for k in range(3):
            edge_faces.setdefault(tuple(sorted((tri[k], tri[(k + 1) % 3]))), []).append(f)
    faces = faces.copy()
    visited = np.zeros(len(faces), dtype=bool)
    visited[0] = True
    stack = [0]
    while stack:
        f = stack.pop()
        directed = {(faces[f][k], faces[f][(k + 1) % 3]) for k in range(3)}
        for k in range(3):
            for g in edge_faces[tuple(sorted((faces[f][k], faces[f][(k + 1) % 3])))]:
                if visited[g]:
                    continue
                # A neighbour must use the shared edge in the opposite direction.
                if any((faces[g][m], faces[g][(m + 1) % 3]) in directed for m in range(3)):
                    faces[g] = faces[g][[0, 2, 1]]
                visited[g] = True
                stack.append(g)
    if not visited.all():
        raise RuntimeError('template surface is not connected')
    if signed_volume(vertices, faces) < 0:
        faces = faces[:, [0, 2, 1]]
    return faces


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Volume enclosed by a surface (holes closed by fans to the centroid), m^3."""
    centre = vertices.mean(0)
    a, b, c = (vertices[faces[:, k]] - centre for k in range(3))
    return float(np.einsum('ij,ij->i', a, np.cross(b, c)).sum() / 6)
