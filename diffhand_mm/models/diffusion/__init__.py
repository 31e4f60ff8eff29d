"""diffusion of diffhand_mm."""
