"""Measure the CPU renderer and the SynthHand generator; optionally save a sample grid.

Run it pinned to one core, e.g.::

    OMP_NUM_THREADS=1 taskset -c 0 python tools/analysis/benchmark_render.py \
        --grid docs/images/synthhand_samples.png

Timings are the best of ``--repeats`` runs (wall clock and CPU time of the process), so that
other jobs on a shared machine disturb them as little as possible. Everything runs on one
thread (torch, OpenCV).
"""
import argparse
import time

import cv2
import numpy as np
import torch

from diffhand_mm.render import render_mesh
from diffhand_mm.synth import SynthHandGenerator, SynthHandOnlineDataset
from diffhand_mm.utils.cli import add_debug_argument, run_tool


def best_of(fn, count: int, repeats: int):
    """Best (wall, cpu) seconds per item over ``repeats`` runs of ``fn(count)``."""
    wall, cpu = [], []
    for _ in range(repeats):
        t_wall, t_cpu = time.perf_counter(), time.process_time()
        fn(count)
        wall.append((time.perf_counter() - t_wall) / count)
        cpu.append((time.process_time() - t_cpu) / count)
    return min(wall), min(cpu)


def benchmark_renderer(generator: SynthHandGenerator, count: int, repeats: int, batch: int):
    """Frames/s of ``render_mesh`` on posed hands at the generator's image size."""
    samples = [generator.sample(i) for i in range(count)]
    size = (generator.image_size, generator.image_size)
    verts = np.stack([s.vertices for s in samples])
    Ks = np.stack([s.K for s in samples])
    colors = np.full(verts.shape, 0.7, dtype=np.float32)
    faces = generator.faces
    closed = generator._closed_faces

    def capped(v):
        centres = np.stack([v[:, hole].mean(1) for hole in generator._holes], 1)
        return np.concatenate([v, centres], 1)

    rows = []
    for name, kwargs in (('open mesh, two-sided', {}),
                         ('capped mesh, back faces culled', dict(cull_backfaces=True))):
        def run(n, kwargs=kwargs):
            for start in range(0, n, batch):
                v = verts[start:start + batch]
                f = closed if kwargs else faces
                c = colors[start:start + batch]
                if kwargs:
                    v = capped(v)
                    c = np.concatenate([c, c[:, :len(generator._holes)]], 1)
                render_mesh(v, f, Ks[start:start + batch], size, vertex_colors=c, **kwargs)
        rows.append((f'render_mesh, {name}, batch {batch}', *best_of(run, count, repeats)))
    return rows


def benchmark_dataset(count: int, repeats: int, image_size: int):
    dataset = SynthHandOnlineDataset(num_samples=10**6, seed=0, image_size=image_size)
    offset = [0]

    def run(n):
        for i in range(offset[0], offset[0] + n):
            dataset.get_data_info(i)
        offset[0] += n
    run(count)  # warm-up (first pose blocks, imports)
    return [('SynthHandOnlineDataset.get_data_info', *best_of(run, count, repeats))]


def save_grid(path: str, rows: int = 4, cols: int = 6, seed: int = 0) -> None:
    """Images of samples 0.. with the visible-hand mask outlined in green, occluders in red."""
    generator = SynthHandGenerator(seed=seed)
    tiles = []
    for i in range(rows * cols):
        sample = generator.sample(i)
        tile = sample.image.copy()
        for mask, colour in ((sample.mask, (0, 255, 0)), (sample.occluder_mask, (0, 0, 255))):
            contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(tile, contours, -1, colour, 1)
        cv2.putText(tile, sample.view, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255))
        tiles.append(tile)
    grid = np.concatenate([np.concatenate(tiles[r * cols:(r + 1) * cols], 1)
                           for r in range(rows)], 0)
    if not cv2.imwrite(path, grid):
        raise OSError(f'could not write {path}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=64, help='items per timed run')
    parser.add_argument('--repeats', type=int, default=5, help='timed runs (best is kept)')
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--grid', help='save a picture grid of samples to this path')
    add_debug_argument(parser)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)

    generator = SynthHandGenerator(image_size=args.img_size, seed=0)
    rows = []
    for batch in (1, 8):
        rows += benchmark_renderer(generator, args.count, args.repeats, batch)
    rows += benchmark_dataset(args.count, args.repeats, args.img_size)
    print(f'| what ({args.img_size}x{args.img_size}, 1 thread) | ms/item (wall) | items/s (wall) '
          '| ms/item (CPU) |')
    print('|---|---|---|---|')
    for name, wall, cpu in rows:
        print(f'| {name} | {1000 * wall:.2f} | {1 / wall:.0f} | {1000 * cpu:.2f} |')
    if args.grid:
        save_grid(args.grid)
        print(f'saved {args.grid}')


if __name__ == '__main__':
    run_tool(main)
