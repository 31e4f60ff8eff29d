"""functional of diffhand_mm."""
