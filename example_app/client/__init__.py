"""A terminal client for the example host, like Talk2M's eCatcher: ``python -m example_app.client``.

``login`` (password, then the SMS code or a remembered PC, or the walk-through that enters and
verifies a number), ``resend [--backup]``, ``whoami``, ``logout`` and ``forget``.
"""
