"""transforms of diffhand_mm."""
