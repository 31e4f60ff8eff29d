"""render of diffhand_mm."""
