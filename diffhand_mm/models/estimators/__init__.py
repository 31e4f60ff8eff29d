"""estimators of diffhand_mm."""
