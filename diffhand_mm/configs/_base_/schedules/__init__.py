"""Config modules (MMEngine pure-Python style); see diffhand_mm/configs/__init__.py."""
