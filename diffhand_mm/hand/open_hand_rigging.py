"""Skinning weights, joint regressor and shape blend shapes of the open template.

Used by tools/generate_open_hand.py on the output of
:func:`diffhand_mm.hand.open_hand_builder.build_mesh`.
"""
from typing import Dict

import numpy as np
from scipy.optimize import nnls

from .open_hand_builder import (FINGER_JOINTS, FINGERS, MCP_POSITIONS, PALM_RING,
                                PALM_Z_CENTRE, SEGMENT_LENGTHS, THUMB_CMC, finger_axes)

DIGITS = ('thumb', 'index', 'middle', 'ring', 'pinky')


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _chain_weights(s, joints, lengths, widths):
    """Weights of a digit's 3 bones at arc length s, blended across each joint."""
    w = np.zeros(16)
    into_second = _smoothstep((s - lengths[0] + widths[0]) / (2 * widths[0]))
    into_third = _smoothstep((s - lengths[0] - lengths[1] + widths[1]) / (2 * widths[1]))
    w[joints[0]] = 1 - into_second
    w[joints[1]] = into_second - into_third
    w[joints[2]] = into_third
    return w


def skinning_weights(mesh: Dict) -> np.ndarray:
    """(778, 16) weights with compact support: every vertex follows at most two adjacent bones
    of one digit, or the palm and the knuckle bones beside it (web vertices: two fingers)."""
    vertices = mesh['vertices']
    weights = np.zeros((len(vertices), 16))
    for name in FINGERS:
        tube = mesh['tubes'][name]
        for ring, s in zip(tube.rings[1:], tube.ring_s[1:]):
            weights[ring] = _chain_weights(s, FINGER_JOINTS[name], SEGMENT_LENGTHS[name],
                                           (0.006, 0.005))
        weights[tube.apex] = weights[tube.rings[-1][0]]
    thumb = mesh['tubes']['thumb']
    for ring, s in zip(thumb.rings[1:], thumb.ring_s[1:]):
        w = _chain_weights(s, FINGER_JOINTS['thumb'], SEGMENT_LENGTHS['thumb'], (0.007, 0.005))
        # The thenar end of the thumb tube shares the palm's (wrist) motion.
        on_thumb = _smoothstep((s - 0.015) / 0.02)
        weights[ring] = w * on_thumb
        weights[ring, 0] += 1 - on_thumb
    weights[thumb.apex] = weights[thumb.rings[-1][0]]

    palm = mesh['palm_rings']
    border = vertices[thumb.rings[0]]
    for c in range(PALM_RING):
        dorsal_col = c if c < 17 else PALM_RING - 1 - c
        # Web columns (4, 8, 12) belong half to each neighbouring finger.
        members = ({dorsal_col // 4 - 1: 0.5, dorsal_col // 4: 0.5}
                   if dorsal_col % 4 == 0 and 0 < dorsal_col < 16
                   else {min(dorsal_col // 4, 3): 1.0})
        for r in range(palm.shape[0]):
            vid = palm[r, c]
            if vid < 0:
                continue
            y = vertices[vid, 1]
            w = np.zeros(16)
            for j, share in members.items():
                name = FINGERS[j]
                knuckle = _smoothstep((y - MCP_POSITIONS[name][1] + 0.015) / 0.025)
                w[FINGER_JOINTS[name][0]] += share * knuckle
            w[0] = 1 - w.sum()
            # Thenar skin near the thumb's base follows the thumb metacarpal partly.
            dist = np.linalg.norm(border - vertices[vid], axis=1).min()
            thenar = min(0.35 * max(0.0, 1 - (dist / 0.02) ** 2) ** 2, w[0])
            w[0] -= thenar
            w[FINGER_JOINTS['thumb'][0]] += thenar
            weights[vid] = w
    weights[weights < 1e-4] = 0.0
    return weights / weights.sum(1, keepdims=True)


def joint_regressor(vertices: np.ndarray, joints: np.ndarray, num_neighbours: int = 32,
                    ridge: float = 1e-6) -> np.ndarray:
    """(16, V) non-negative regressor, rows summing to 1, reproducing ``joints`` on the template.

    Each row is a convex combination of the joint's nearest vertices (non-negative least
    squares with a sum-to-one row and a small ridge that spreads the weights over the ring
    around the joint, so the regressor follows the surface when the hand moves).
    """
    regressor = np.zeros((len(joints), len(vertices)))
    for j, joint in enumerate(joints):
        near = np.argsort(np.linalg.norm(vertices - joint, axis=1))[:num_neighbours]
        a = np.vstack([vertices[near].T, 1e2 * np.ones((1, len(near))),
                       np.sqrt(ridge) * np.eye(len(near))])
        b = np.concatenate([joint, [1e2], np.zeros(len(near))])
        w, _ = nnls(a, b)
        regressor[j, near] = w / w.sum()
    return regressor


def _digit_axis_points(vertices, joints, tips):
    """Nearest point on each digit's centreline polyline, (5, V, 3), and arc length (5, V)."""
    points, arcs = [], []
    for d, name in enumerate(DIGITS):
        chain = [joints[j] for j in FINGER_JOINTS[name]] + [tips[d]]
        best_point = np.zeros_like(vertices)
        best_dist = np.full(len(vertices), np.inf)
        best_arc = np.zeros(len(vertices))
        arc0 = 0.0
        for a, b in zip(chain, chain[1:]):
            seg = b - a
            t = np.clip((vertices - a) @ seg / (seg @ seg), 0.0, 1.0)
            p = a + t[:, None] * seg
            dist = np.linalg.norm(vertices - p, axis=1)
            closer = dist < best_dist
            best_point[closer], best_dist[closer] = p[closer], dist[closer]
            best_arc[closer] = arc0 + t[closer] * np.linalg.norm(seg)
            arc0 += np.linalg.norm(seg)
        points.append(best_point)
        arcs.append(best_arc)
    return np.stack(points), np.stack(arcs)


SHAPE_NAMES = ('size', 'finger_length', 'palm_width', 'thickness', 'finger_girth',
               'palm_length', 'thumb_size', 'thumb_abduction', 'index_to_pinky_length',
               'finger_taper')


def shape_blend_shapes(vertices: np.ndarray, weights: np.ndarray, joints: np.ndarray,
                       tips: np.ndarray) -> np.ndarray:
    """(V, 3, 10) shape blend shapes, metres per unit, in the order of ``SHAPE_NAMES``.

    One unit is: 5 % larger hand; 6 % longer fingers (not thumb); 6 % wider palm (fingers
    move sideways, unchanged); 8 % thicker (dorso-palmar); 8 % thicker digits; 6 % longer palm
    (digits move, unchanged); 8 % larger thumb (about its CMC joint); 0.15 rad more thumb
    abduction in the palm plane; index 4 % longer and pinky 4 % shorter (middle +1.2 %,
    ring -1.2 %); digits 10 % slimmer at the tip relative to the base.
    """
    digit_member = np.stack([weights[:, list(FINGER_JOINTS[n])].sum(1) for n in DIGITS])
    palm_member = 1 - digit_member.sum(0)
    axis_points, arcs = _digit_axis_points(vertices, joints, tips)
    radial = vertices[None] - axis_points  # offsets from each digit's centreline
    digit_bases = np.stack([joints[FINGER_JOINTS[n][0]] for n in DIGITS])
    dirs = np.zeros((5, 3))
    for d, name in enumerate(DIGITS):
        dirs[d] = (finger_axes(name)[1] if name != 'thumb'
                   else (joints[14] - joints[13]) / np.linalg.norm(joints[14] - joints[13]))
    totals = np.array([np.sum(SEGMENT_LENGTHS[n]) for n in DIGITS])
    m = digit_member[..., None]
    dirs_v = np.zeros((len(vertices), 3, 10))
    dirs_v[..., 0] = 0.05 * vertices
    for d in range(1, 5):  # fingers grow along their axis, beyond the MCP joint
        along = np.clip((vertices - digit_bases[d]) @ dirs[d], 0.0, None)
        dirs_v[..., 1] += m[d] * 0.06 * along[:, None] * dirs[d]
        dirs_v[..., 8] += m[d] * 0.04 * (1.0, 0.3, -0.3, -1.0)[d - 1] * along[:, None] * dirs[d]
    dirs_v[:, 0, 2] = 0.06 * (palm_member * vertices[:, 0] + digit_member.T @ digit_bases[:, 0])
    palm_z = vertices[:, 2] - PALM_Z_CENTRE
    dirs_v[:, 2, 3] = 0.08 * (palm_member * palm_z + (digit_member * radial[..., 2]).sum(0))
    dirs_v[..., 4] = 0.08 * (m * radial).sum(0)
    dirs_v[:, 1, 5] = 0.06 * (palm_member * np.clip(vertices[:, 1], 0.0, None)
                              + digit_member.T @ digit_bases[:, 1])
    dirs_v[..., 6] = digit_member[0][:, None] * 0.08 * (vertices - THUMB_CMC)
    dirs_v[..., 7] = digit_member[0][:, None] * np.cross([0.0, 0.0, -0.15], vertices - THUMB_CMC)
    taper = -0.1 * (arcs / totals[:, None] - 0.5)
    dirs_v[..., 9] = (m * taper[..., None] * radial).sum(0)
    return dirs_v
