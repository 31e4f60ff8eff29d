# Ablation (paper Table 4, first row): no diffusion. The decoder maps image features to the
# vertices in a single pass (no noisy input, no timestep); same decoder, data and budget.
_base_ = ['../diffhand_tiny_synthhand.py']
model = dict(head=dict(use_diffusion=False))
# The timestep and x_t layers are unused without diffusion; DDP must be told.
find_unused_parameters = True
