"""Settings of the model lifecycle: training, registry, endpoint, rescoring."""
