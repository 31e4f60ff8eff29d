"""The DDIM loop as few GPU launches as possible: CUDA graphs or ``torch.compile``.

A sampling loop of S steps runs S decoder passes of a few hundred small kernels each; at batch
sizes of one image the GPU then waits on the CPU that launches them. Two ways out, chosen with
``test_cfg.accelerate``:

- ``'cuda_graph'``: the whole loop (``DiffusionMeshHead.sample_from_noise``) is captured once
  per input shape and number of steps as one CUDA graph, then replayed: one launch per
  sampling. Inputs are copied into the graph's static tensors and the output is cloned out.
- ``'compile'`` (or ``dict(type='compile', mode=..., backend=...)``): ``torch.compile`` of the
  same loop; ``mode='reduce-overhead'`` (the default on CUDA) also replays CUDA graphs.

Both fall back to the eager loop, with one warning, where they cannot apply: no CUDA device
(``'cuda_graph'``), eta > 0 (its per-step noise comes from a generator), or a compilation
error. Results are those of the eager loop (the same kernels; tested on the CPU through the
fallback and the ``'eager'`` compile backend). The exporter never uses this: it traces the
eager loop.
"""
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from torch import Tensor

from diffhand_mm.models.decoders.base_decoder import ImageContext, map_tensors

#: Sampling loop: (context, noise, timesteps) -> vertices; ``sample_from_noise`` at eta = 0.
Loop = Callable[[ImageContext, Tensor, Sequence[Tuple[int, int]]], Tensor]


def _flat(context: ImageContext) -> Tuple[Tensor, ...]:
    tensors = []
    map_tensors(tensors.append, context)
    return tuple(tensors)


class _CapturedLoop:
    """One CUDA graph of the loop, with its static inputs and output."""

    def __init__(self, loop: Loop, context: ImageContext, noise: Tensor,
                 timesteps: Sequence[Tuple[int, int]]) -> None:
        self.context = map_tensors(torch.clone, context)
        self.noise = noise.clone()
        # Warm-up on a side stream (lazy initialisations must not happen during capture).
        stream = torch.cuda.Stream(noise.device)
        stream.wait_stream(torch.cuda.current_stream(noise.device))
        with torch.cuda.stream(stream):
            for _ in range(2):
                loop(self.context, self.noise, timesteps)
        torch.cuda.current_stream(noise.device).wait_stream(stream)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.output = loop(self.context, self.noise, timesteps)

    def __call__(self, context: ImageContext, noise: Tensor) -> Tensor:
        for static, value in zip(_flat(self.context), _flat(context)):
            static.copy_(value)
        self.noise.copy_(noise)
        self.graph.replay()
        return self.output.clone()


class AcceleratedSampler:
    """Runs a head's DDIM loop through CUDA graphs or ``torch.compile`` (module doc).

    Args:
        loop: The eager loop, ``head.sample_from_noise`` (called with eta = 0).
        max_graphs: CUDA graphs kept (one per input shape, steps, device and weights);
            the oldest is dropped beyond it.
    """

    def __init__(self, loop: Loop, max_graphs: int = 8) -> None:
        self.loop = loop
        self.max_graphs = max_graphs
        self.graphs: Dict[tuple, _CapturedLoop] = {}
        self.compiled: Dict[tuple, Callable] = {}
        self._warned = set()

    def __call__(self, accelerate: Union[str, dict, None], context: ImageContext, noise: Tensor,
                 timesteps: Sequence[Tuple[int, int]], eta: float = 0.0,
                 generator: Optional[torch.Generator] = None) -> Tensor:
        """``loop(context, noise, timesteps, eta, generator)``, accelerated when possible.

        Args:
            accelerate: None, ``'cuda_graph'``, ``'compile'`` or ``dict(type=..., **options)``
                (for ``'compile'``: ``mode``, ``backend``, ``fullgraph`` of ``torch.compile``).

        Raises:
            ValueError: an unknown ``accelerate`` type.
        """
        options = dict(type=accelerate) if isinstance(accelerate, str) else dict(accelerate or {})
        kind = options.pop('type', None)
        if kind is None:
            return self.loop(context, noise, timesteps, eta, generator)
        if kind not in ('cuda_graph', 'compile'):
            raise ValueError(f"accelerate: type must be 'cuda_graph' or 'compile', got {kind!r}.")
        timesteps = tuple(timesteps)
        if eta > 0:
            self._warn(kind, 'eta > 0 draws noise in every step; sampling eagerly')
            return self.loop(context, noise, timesteps, eta, generator)
        if kind == 'cuda_graph':
            if noise.device.type != 'cuda':
                self._warn(kind, f'CUDA graphs need a CUDA device, the input is on '
                                 f'{noise.device}; sampling eagerly')
                return self.loop(context, noise, timesteps)
            return self._graph(context, noise, timesteps)(context, noise)
        return self._compiled(options, noise.device)(context, noise, timesteps)

    def _graph(self, context: ImageContext, noise: Tensor,
               timesteps: Tuple[Tuple[int, int], ...]) -> _CapturedLoop:
        key = (timesteps, noise.device, noise.dtype, tuple(noise.shape),
               tuple((tuple(t.shape), t.dtype) for t in _flat(context)))
        if key not in self.graphs:
            if len(self.graphs) >= self.max_graphs:
                self.graphs.pop(next(iter(self.graphs)))
            self.graphs[key] = _CapturedLoop(self.loop, context, noise, timesteps)
        return self.graphs[key]

    def clear(self) -> None:
        """Drop the captured graphs and compiled loops (they point at the weights' memory)."""
        self.graphs.clear()
        self.compiled.clear()

    def _compiled(self, options: dict, device: torch.device) -> Callable:
        options.setdefault('mode', 'reduce-overhead' if device.type == 'cuda' else None)
        key = tuple(sorted(options.items()))
        if key not in self.compiled:
            compiled = torch.compile(self.loop, **options)

            def run(context, noise, timesteps, compiled=compiled):
                try:
                    return compiled(context, noise, timesteps)
                except Exception as error:  # noqa: BLE001 (any backend failure: go eager)
                    self._warn('compile', f'torch.compile failed ({type(error).__name__}: '
                                          f'{error}); sampling eagerly from now on')
                    self.compiled[key] = self.loop
                    return self.loop(context, noise, timesteps)
            self.compiled[key] = run
        return self.compiled[key]

    def _warn(self, kind: str, message: str) -> None:
        if (kind, message) not in self._warned:
            self._warned.add((kind, message))
            print_log(f'accelerate={kind!r}: {message}.', logger='current', level=30)
