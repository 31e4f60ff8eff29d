"""backbones of diffhand_mm."""
