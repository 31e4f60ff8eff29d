"""structures of diffhand_mm."""
