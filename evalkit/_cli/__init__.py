"""The pieces of the ``evalkit`` command (:mod:`evalkit.cli` wires them together)."""
