"""datasets of diffhand_mm."""
