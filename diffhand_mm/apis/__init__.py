"""apis of diffhand_mm."""
