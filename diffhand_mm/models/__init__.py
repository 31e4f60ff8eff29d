"""models of diffhand_mm."""
