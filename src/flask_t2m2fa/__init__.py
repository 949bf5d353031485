"""Talk2M-style SMS two-factor login for Flask."""
