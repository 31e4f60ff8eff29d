"""heads of diffhand_mm."""
