"""Executors: the float reference (NumPy, ONNX semantics) and, later, the integer runtime."""
