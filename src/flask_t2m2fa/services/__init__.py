"""Services: take the extension's state, read and write the database, return plain outcomes.

They never build a Flask response and never commit: the web layer (or a :class:`TwoFactor`
method) commits once per request through :mod:`.unit_of_work`, which also sends the signals of
what was committed.
"""
