"""The rules of the vendor article as pure functions: no Flask, no SQLAlchemy, no I/O.

Each takes ``now`` and plain values, so a reader finds a rule by its module and a test proves it
without an app: :mod:`.policy` (who needs the second factor, remembered PCs, backup phones),
:mod:`.budgets` (wrong codes), :mod:`.sending_limits` (SMS cool-down and caps), :mod:`.codes`,
:mod:`.trust` (remember-PC tokens), :mod:`.phones`, :mod:`.keys` and :mod:`.urls`.
"""
