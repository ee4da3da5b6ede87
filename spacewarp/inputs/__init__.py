"""Inputs: the points that go through the network (generators, the user's data files).

Owns: ``points`` (the ``Points`` value and the generator registry), ``datafile`` (CSV, NPY,
NPZ readers), ``arrays`` (``frozen``: the read-only arrays every result holds), ``slice``
(a plane or line through the data: ``SliceFrame``), ``nearest`` (each data row's foot on a
slice and distance from it, for hover's nearest row), ``sliced`` (the points spread over a
slice), ``data/`` (the bundled digits). Imports: ``spacewarp.config``, ``spacewarp.errors``.
"""
