"""metrics of diffhand_mm."""
