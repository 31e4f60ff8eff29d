"""losses of diffhand_mm."""
