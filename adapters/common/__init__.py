"""What both chat adapters need and neither platform defines: where a message is, clipping text."""
