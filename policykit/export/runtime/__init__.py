"""Files that exporters copy unchanged into their output, to run inside the target tool.

They import the tool (inspect_ai, lm-eval's ``datasets``) and never policykit, and they
are the same bytes in every export: the cases travel as data files beside them.
"""
