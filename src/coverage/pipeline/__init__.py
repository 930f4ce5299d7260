"""The workflow's glue: one step per Snakemake rule (read, call the library, write), the binding of a rule
to its step, the command line, the config check, job resources and the run's manifest."""
