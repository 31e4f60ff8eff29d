# Ablation (paper Table 4, first row): no diffusion. The decoder maps image features to the
# vertices in a single pass (no noisy input, no timestep); same decoder, data and budget.
from mmengine.config import read_base

with read_base():
    from ..diffhand_tiny_synthhand import *  # noqa: F401,F403

model.head.use_diffusion = False
# The timestep and x_t layers are unused without diffusion; DDP must be told.
find_unused_parameters = True
