"""Pure domain code: plain Python and NumPy, no I/O, no clock it did not receive."""
