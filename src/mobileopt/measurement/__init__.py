"""What a model costs: multiply-adds and parameters, TFLite conversion, LiteRT latency, the machine's roofline."""
