"""engine of diffhand_mm."""
