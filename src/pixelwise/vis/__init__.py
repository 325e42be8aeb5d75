"""Drawing: (image, result, style) -> a NEW image; never draws in place."""
