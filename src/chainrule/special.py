"""torch.special (being written)."""
