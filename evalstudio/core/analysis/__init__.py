"""The study report's numbers: effects of assistance with their intervals, and the
simulator that checks them."""
