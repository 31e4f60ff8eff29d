"""Optimizer wrappers for MMEngine's FlexibleRunner strategies."""
import torch
import torch.distributed as torch_dist
from mmengine.optim import OptimWrapper

from diffhand_mm.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class FSDPOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose gradient-norm clipping measures the whole model under FSDP.

    MMEngine's ``OptimWrapper`` clips with ``torch.nn.utils.clip_grad_norm_`` over the
    parameters its optimizer holds. Under FSDP (``FSDPStrategy``) these are each rank's shards,
    so every rank would scale its part of the gradient by the norm of that part alone, and
    training drifts from what DDP computes. Here the ranks' partial norms are combined first
    (summed p-th powers, or the maximum for ``norm_type=inf``) over the default process group,
    then every shard is scaled by the same factor, as ``FullyShardedDataParallel
    .clip_grad_norm_`` does. This assumes the parameters are sharded over the whole default
    group (FSDP's ``FULL_SHARD`` or ``SHARD_GRAD_OP``, the defaults) with no replicated
    parameters; outside a process group it is the plain ``OptimWrapper``.

    ``tools/train.py --strategy fsdp`` selects it; a config with its own ``FSDPStrategy`` sets
    ``optim_wrapper = dict(type='FSDPOptimWrapper', ...)``. Value clipping
    (``clip_grad=dict(type='value', ...)``) is element-wise and needs no change.
    """

    def _clip_grad(self) -> None:
        distributed = torch_dist.is_available() and torch_dist.is_initialized()
        if self.clip_func is not torch.nn.utils.clip_grad_norm_ or not distributed:
            return super()._clip_grad()
        grads = [p.grad for group in self.optimizer.param_groups for p in group['params']
                 if p.requires_grad and p.grad is not None]
        max_norm = float(self.clip_grad_kwargs['max_norm'])
        norm_type = float(self.clip_grad_kwargs.get('norm_type', 2.0))
        device = grads[0].device if grads else torch.device('cpu')
        if norm_type == float('inf'):
            local = max((g.detach().abs().max() for g in grads if g.numel()),
                        default=torch.zeros((), device=device)).float()
            torch_dist.all_reduce(local, op=torch_dist.ReduceOp.MAX)
            total = local
        else:
            local = sum((g.detach().float().norm(norm_type) ** norm_type for g in grads),
                        torch.zeros((), device=device))
            torch_dist.all_reduce(local, op=torch_dist.ReduceOp.SUM)
            total = local ** (1.0 / norm_type)
        # The same factor on every rank, as torch.nn.utils.clip_grad_norm_ computes it.
        scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        for grad in grads:
            grad.detach().mul_(scale.to(grad.dtype))
        self.message_hub.update_scalar(f'train/{self.grad_name}', float(total))
