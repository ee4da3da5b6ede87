"""Tracing: the forward pass captured op by op (torch.fx) into a ``Trace`` of stages.

Owns: ``capture`` (the graph and its operations), ``trace`` (``Trace`` and ``Stage``).
Imports: ``spacewarp.model``, ``spacewarp.inputs``, ``spacewarp.config``, ``errors``.
"""
