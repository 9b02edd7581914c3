"""cxlab."""
