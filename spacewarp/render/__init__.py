"""Drawing: matplotlib (stills, frames) and the browser renderer (film spec, js/film.js).

Never runs the model.
"""
