"""evaluation of diffhand_mm."""
