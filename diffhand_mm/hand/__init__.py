"""hand of diffhand_mm."""
