"""intq measured against the quantizers users would pick instead (``python -m benchmarks``).

Not a test suite: it trains the zoo models on shipped data, quantizes them with intq, ONNX
Runtime and PyTorch FX in fresh subprocesses, and writes the table into the README.
"""
