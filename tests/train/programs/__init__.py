"""Programs that the training tests start as `chainrule run -n N` jobs, and how they start them."""
