"""Pure pre/post-processing functions (numpy + OpenCV resize/contours); no state, no I/O."""
