"""The model: a network built from flags, or the user's module and checkpoint.

Owns: ``build`` (nn.Sequential from a spec and a weight recipe), ``files`` (the user's
model and checkpoint files), ``resolve`` (an experiment's model and points together),
``image_shape`` (the image shape a model's first operation reads from a row).
Imports: ``spacewarp.inputs``, ``spacewarp.config``, ``spacewarp.errors``.
"""
