"""Tracker implementations behind :func:`pixelwise.video.tracking.make_tracker`."""
