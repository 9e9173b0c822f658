"""The lab kit: labs kept as jupytext sources with nbgrader metadata (`labs/NN_topic/`), released
to students with stubs, checked by students headless, and graded in a sandboxed kernel.

Only `chainrule.labs.checks` is imported by the notebooks themselves; the rest needs the `labs`
extra (jupytext, nbformat, nbclient, ipykernel, nbgrader) and is imported by `chainrule lab`."""
