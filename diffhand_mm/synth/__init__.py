"""SynthHand: synthetic hands rendered with the open hand model."""
