"""One module per concern; `config/django/*.py` composes them."""
