"""After training: held-out evaluation, the empirical privacy audit, reviews and release."""
