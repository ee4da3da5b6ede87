"""The colour bytes of RGBA pictures, read four pixels at a time, against NumPy's own
``rgba[..., :3]``."""

from __future__ import annotations

import numpy as np
import pytest

from spacewarp.render.rgb import colour_bytes, opaque


@pytest.mark.parametrize(("h", "w"), [(1, 1), (2, 3), (3, 4), (5, 7), (4, 8), (3, 9),
                                      (865, 880)])
def test_colour_bytes_are_numpys_every_fourth_byte_dropped(h: int, w: int) -> None:
    rng = np.random.default_rng(h * 100 + w)
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    views = {"whole": rgba, "rows cut": rgba[h // 2:], "columns cut": rgba[:, 1:],
             "rows reversed": rgba[::-1], "columns reversed": rgba[:, ::-1],
             "Fortran order": np.asfortranarray(rgba)}
    for name, view in views.items():
        got = colour_bytes(view)
        assert got.flags.c_contiguous and got.dtype == np.uint8, name
        np.testing.assert_array_equal(got, view[..., :3], err_msg=name)


def test_opaque_means_every_alpha_is_255() -> None:
    rgba = np.full((3, 5, 4), 255, np.uint8)
    assert opaque(rgba) and opaque(rgba[:0])
    rgba[2, 4, 3] = 254
    for view in (rgba, rgba[:, ::-1], np.asfortranarray(rgba), rgba[1:]):  # packed or not
        assert not opaque(view)
    assert opaque(rgba[:, :4]) and opaque(rgba[:2])
    rgba[2, 4] = (255, 255, 255, 255)
    rgba[0, 0, :3] = 0  # colour is no alpha
    assert opaque(rgba) and opaque(np.asfortranarray(rgba))
