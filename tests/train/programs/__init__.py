"""Programs that the training tests start as `chainrule run -n N` jobs."""
