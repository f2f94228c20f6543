"""The dialog format and its tools: the model, YAML reading, loading, the validator, the exact path
walk, the rules of scoring and advice. It imports nothing else of the core, so a dialog author's
tools run with it alone."""
