"""Pipeline steps: each reads its input files, calls the library and writes its outputs, one module per rule file
of ``workflow/rules/`` (``access.smk``: :mod:`.access`, and so on).

A Snakemake rule runs one step (:mod:`coverage.pipeline.script`): its ``input``, ``output`` and ``params`` entries
bind, by name, to the step's keyword-only parameters, each named once.
"""
