"""Drawing: matplotlib (static, frames) and plotly (interactive). Never runs the model."""
