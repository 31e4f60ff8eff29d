"""decoders of diffhand_mm."""
