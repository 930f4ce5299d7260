"""A griffe extension for the API reference: the docstrings' Sphinx roles (``:func:`name```) shown as code.

The package's docstrings name other objects the Sphinx way, which mkdocstrings does not read; each role becomes
the name as inline code (``~`` prefixes dropped), so that no docstring shows a raw role.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj):`~?\.?([^`]+)`")


class SphinxRoles(griffe.Extension):
    """Rewrite the roles of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:  # noqa: ARG002 (griffe's hook signature)
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(r"`\1`", obj.docstring.value)
