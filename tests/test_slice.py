"""Slices through the data: axes against NumPy's own Gram-Schmidt and eigenvectors, every
stage against the model's own modules (forward hooks) on ``origin + u @ axes``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hooks import hooked_stages
from torch import nn

import spacewarp as sw
from spacewarp.budget import check_experiment
from spacewarp.cli import main
from spacewarp.config.experiment import validated
from spacewarp.errors import LimitError
from spacewarp.inputs.points import make_points
from spacewarp.inputs.slice import make_frame
from spacewarp.render.browser import film_spec

DIGITS = make_points("digits").x  # (1797, 64)


def qr_axes(x: np.ndarray, rows: list[int]) -> np.ndarray:
    """(k, D): NumPy's QR of the offsets from the first row, signed so R's diagonal is > 0."""
    offsets = (x[rows[1:]] - x[rows[0]]).T  # (D, k)
    q, r = np.linalg.qr(offsets)
    return (q * np.sign(np.diag(r))).T


def test_a_plane_through_three_rows_is_gram_schmidt() -> None:
    frame = make_frame(DIGITS, "0,10,20")
    np.testing.assert_allclose(frame.axes, qr_axes(DIGITS, [0, 10, 20]), atol=1e-12)
    np.testing.assert_array_equal(frame.origin, DIGITS[0])
    np.testing.assert_allclose(frame.axes @ frame.axes.T, np.eye(2), atol=1e-12)
    first = np.linalg.norm(DIGITS[10] - DIGITS[0])
    p, q = qr_axes(DIGITS, [0, 10, 20]) @ (DIGITS[20] - DIGITS[0])
    np.testing.assert_allclose(frame.anchors, [[0, 0], [first, 0], [p, q]], atol=1e-12)
    assert q > 0
    # the anchors' box with a quarter of its size on each side
    lo, hi = np.array([min(0, p), 0]), np.array([max(first, p), q])
    pad = 0.25 * (hi - lo)
    np.testing.assert_allclose(frame.box, [lo[0] - pad[0], hi[0] + pad[0],
                                           lo[1] - pad[1], hi[1] + pad[1]])


def test_distances_on_the_slice_are_distances_between_inputs() -> None:
    frame = make_frame(DIGITS, "5,6,7")
    u = np.random.default_rng(0).normal(size=(50, 2)) * 10
    x = frame.inputs(u)
    on_slice = np.linalg.norm(u[:, None] - u[None], axis=-1)
    between = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.testing.assert_allclose(on_slice, between, atol=1e-9)
    np.testing.assert_allclose(frame.inputs(frame.anchors), DIGITS[[5, 6, 7]], atol=1e-12)


def test_a_line_through_two_rows() -> None:
    frame = make_frame(DIGITS, "3,4")
    offset = DIGITS[4] - DIGITS[3]
    np.testing.assert_allclose(frame.axes, [offset / np.linalg.norm(offset)], atol=1e-14)
    length = np.linalg.norm(offset)
    np.testing.assert_allclose(frame.box, [-0.25 * length, 1.25 * length])


def test_pca_and_a_row_slice_use_the_leading_eigenvectors() -> None:
    values, vectors = np.linalg.eigh(np.cov(DIGITS, rowvar=False))  # ascending
    lead = vectors[:, ::-1][:, :2].T  # (2, 64)
    sd = np.sqrt(values[::-1][:2])
    pca = make_frame(DIGITS, "pca")
    np.testing.assert_allclose(pca.origin, DIGITS.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(np.abs(pca.axes @ lead.T), np.eye(2), atol=1e-8)
    np.testing.assert_allclose(pca.box, [-3 * sd[0], 3 * sd[0], -3 * sd[1], 3 * sd[1]])
    row = make_frame(DIGITS, "42")
    np.testing.assert_array_equal(row.origin, DIGITS[42])
    np.testing.assert_allclose(row.axes, pca.axes)


def svd_axes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(2, D) NumPy's SVD of the centred data: the leading right singular vectors, and the
    standard deviation along each (2,)."""
    _, s, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    return vt[:2], s[:2] / np.sqrt(len(x) - 1)


@pytest.mark.parametrize("shape, offset", [((3000, 50), 0.0), ((40, 500), 100.0),
                                           ((5000, 256), 1000.0)])
def test_principal_axes_are_the_svds_up_to_sign(shape: tuple[int, int], offset: float) -> None:
    """Tall data (the scatter matrix), wide data (the Gram matrix), data far from 0."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape) * np.linspace(5, 1, shape[1]) + offset
    frame, (axes, spread) = make_frame(x, "pca"), svd_axes(x)
    np.testing.assert_allclose(np.abs(frame.axes), np.abs(axes), atol=1e-8)
    np.testing.assert_allclose(np.abs(frame.axes @ axes.T), np.eye(2), atol=1e-8)
    np.testing.assert_allclose(frame.box[1::2], 3 * spread, rtol=1e-10)


def test_principal_directions_hold_no_copy_of_the_data() -> None:
    """The SVD held a centred copy and U, 2 times the data beside it; the blocks of the
    scatter matrix hold a fraction (numpy reports its arrays to tracemalloc)."""
    import tracemalloc

    x = np.random.default_rng(2).random((100_000, 64))
    tracemalloc.start()
    try:
        make_frame(x, "pca")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * x.nbytes, peak / x.nbytes


@pytest.mark.parametrize("wide", [False, True])
def test_data_along_one_direction_have_no_principal_plane(wide: bool) -> None:
    """The square root of a rounding-sized eigenvalue of the scatter matrix would pass
    for a second direction; the spread measured along it does not."""
    rng = np.random.default_rng(3)
    line = rng.normal(size=(30 if wide else 500, 1)) * rng.normal(size=(1, 200)) + 7.0
    with pytest.raises(sw.SpacewarpError, match="fewer than 2 directions"):
        make_frame(line, "pca")


@pytest.fixture(scope="module")
def sliced() -> sw.Trace:
    return sw.run(input="digits", slice="0,10,20", points=400, layers="64,16,10",
                  activation="relu", bias=True, device="cpu")


def fresh_model(trace: sw.Trace) -> nn.Module:
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).double()
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in trace.params.items()})
    return model


def test_every_stage_is_the_network_of_origin_plus_u_axes(sliced: sw.Trace) -> None:
    frame = sliced.frame
    u = sliced.stages[0].points
    assert u.shape == (400, 2) and sliced.grid_shape == (20, 20)
    np.testing.assert_allclose([u[:, 0].min(), u[:, 0].max(), u[:, 1].min(), u[:, 1].max()],
                               frame.box)
    inputs = DIGITS[0] + u @ qr_axes(DIGITS, [0, 10, 20])
    want = hooked_stages(fresh_model(sliced), inputs)
    assert len(want) == len(sliced.stages) - 1
    for stage, ref in zip(sliced.stages[1:], want, strict=True):
        np.testing.assert_allclose(stage.points, ref, rtol=1e-12, atol=1e-12)


def test_the_anchors_images_are_the_networks_stages_of_the_anchor_rows(
        sliced: sw.Trace) -> None:
    want = hooked_stages(fresh_model(sliced), DIGITS[[0, 10, 20]])
    assert len(sliced.anchors) == len(sliced.stages)
    for got, ref in zip(sliced.anchors[1:], want, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)


def test_the_program_differentiates_along_the_slice(sliced: sw.Trace) -> None:
    u = torch.from_numpy(np.array(sliced.stages[0].points[:5]))
    out = sliced.program(u)
    assert out[0].shape == (5, 2)
    np.testing.assert_allclose(out[-1].detach().numpy(), sliced.output[:5], atol=1e-12)


def test_trace_npz_records_the_slice_and_a_rerun_is_bit_identical(tmp_path: Path) -> None:
    flags = ["--input", "digits", "--slice", "7,8,9", "--points", "900", "--layers",
             "64,5,3", "--device", "cpu"]
    assert main(["render", *flags, "--out", str(tmp_path / "a")]) == 0
    with np.load(tmp_path / "a" / "trace.npz", allow_pickle=False) as f:
        np.testing.assert_allclose(f["slice_axes"], qr_axes(DIGITS, [7, 8, 9]), atol=1e-12)
        np.testing.assert_array_equal(f["slice_origin"], DIGITS[7])
        np.testing.assert_array_equal(f["slice_rows"], [7, 8, 9])
        assert f["stage_00"].shape == (900, 2)
        w = f["0.weight"]
        np.testing.assert_allclose(f["stage_01"],
                                   (f["slice_origin"] + f["stage_00"] @ f["slice_axes"]) @ w.T,
                                   atol=1e-10)
        np.testing.assert_allclose(f["anchor_stage_01"], DIGITS[[7, 8, 9]] @ w.T, atol=1e-10)
    assert main(["render", "--config", str(tmp_path / "a" / "experiment.toml"), "--out",
                 str(tmp_path / "b")]) == 0
    assert (tmp_path / "a" / "trace.npz").read_bytes() == \
        (tmp_path / "b" / "trace.npz").read_bytes()


def test_a_line_slice_and_other_point_sets(tmp_path: Path) -> None:
    line = sw.run(input="digits", slice="3,4", layers="64,2", device="cpu")
    assert line.stages[0].points.shape == (200, 1)
    assert film_spec(line)["stages"][0]["axes"] == ["slice[0]"]
    disk = sw.run(input="digits", slice="pca", slice_points="disk", points=300,
                  layers="64,2", device="cpu")
    u = disk.stages[0].points
    box = disk.frame.box
    np.testing.assert_allclose([u[:, 0].min(), u[:, 0].max(), u[:, 1].min(), u[:, 1].max()],
                               box)
    given = sw.run(input="digits", slice="pca", bounds="-1,1,-2,2", points=100,
                   layers="64,2", device="cpu")
    assert given.frame.box == (-1, 1, -2, 2)


def data_file(tmp_path: Path, rows: np.ndarray) -> str:
    path = tmp_path / "rows.npy"
    np.save(path, rows)
    return str(path)


@pytest.mark.parametrize("flags, words", [
    (["--input", "digits", "--slice", "0,10,5000"], "row 5000 is out of range"),
    (["--input", "digits", "--slice", "0,10,0"], "repeat a row"),
    (["--input", "digits", "--slice", "0,x"], "does not parse"),
    (["--input", "moons", "--slice", "0,1,2"], "the input itself"),
    (["--input", "digits", "--slice", "0,1", "--bounds=-1,1,-1,1"], "needs 2 bounds"),
    (["--input", "digits", "--slice", "0,1", "--bounds=1,-1"], "x0 < x1"),
])
def test_bad_slices_are_one_line_naming_the_flag(tmp_path: Path, capsys, flags: list[str],
                                                 words: str) -> None:
    out = tmp_path / "out"
    assert main(["render", *flags, "--layers", "64,3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
    assert "--slice" in err or "--bounds" in err
    assert not out.exists()


@pytest.mark.parametrize("third, words", [
    ([2.0, 4.0, 6.0], "lie on one line"),  # row 0 + 2 (row 1 - row 0)
    ([0.0, 1.0, 2.0], "same point"),  # a copy of row 0
])
def test_rows_that_span_no_plane_are_refused(tmp_path: Path, capsys, third: list[float],
                                             words: str) -> None:
    rows = np.array([[0.0, 1.0, 2.0], [1.0, 2.5, 4.0], third, [5.0, 0.0, 1.0]])
    data = data_file(tmp_path, rows)
    k = 2 if "same" in words else 1
    slice_rows = "0,1,2" if k == 1 else "0,2,1"
    out = tmp_path / "out"
    assert main(["render", "--data", data, "--slice", slice_rows, "--layers", "3,2",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("spacewarp: error: --slice:") \
        and words in err, err
    assert not out.exists()


def test_the_cost_of_a_slice_is_estimated_before_work() -> None:
    big = validated({"input": {"name": "digits", "slice": "0,1,2", "points": 5_000_000},
                     "network": {"layers": [64, 4096, 4096, 10]}})
    with pytest.raises(LimitError, match="--points|points"):
        check_experiment(big)
    n, widths = check_experiment(validated({"input": {"name": "digits", "slice": "0,1",
                                                      "points": 300}}))
    assert (n, widths[0]) == (300, 64)


def test_stills_mark_the_anchors_at_their_true_images(sliced: sw.Trace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from spacewarp.render.static import stages_figure

    fig = stages_figure(sliced)
    rings = {c.get_gid(): c for ax in fig.axes for c in ax.collections
             if str(c.get_gid()).startswith("anchors-")}
    assert len(rings) == len(sliced.stages)
    np.testing.assert_allclose(rings["anchors-0"].get_offsets(), sliced.frame.anchors)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    labels = make_points("digits").labels
    for row in (0, 10, 20):
        assert f"row {row} ({labels[row]})" in [t.strip() for t in texts]
    # a 16-D stage: the anchors' images through the stage's top-3 principal axes (NumPy)
    points, images = sliced.stages[1].points, sliced.anchors[1]
    _, _, vt = np.linalg.svd(points - points.mean(axis=0), full_matrices=False)
    want = (images - points.mean(axis=0)) @ vt[:3].T  # (3, 3), up to each axis's sign
    got = np.column_stack(rings["anchors-1"]._offsets3d)
    distances = [np.linalg.norm(a[:, None] - a[None], axis=-1) for a in (got, want)]
    np.testing.assert_allclose(*distances, rtol=1e-6)


def test_a_layer_fed_by_the_slice_carries_its_map_from_the_slice(sliced: sw.Trace) -> None:
    w, b = sliced.params["0.weight"], sliced.params["0.bias"]  # (16, 64), (16,): the layer's
    axes = qr_axes(DIGITS, [0, 10, 20])
    first = sliced.stages[1]
    np.testing.assert_allclose(first.weight, w @ axes.T, atol=1e-10)  # (16, 2)
    np.testing.assert_allclose(first.bias, w @ DIGITS[0] + b, atol=1e-10)
    np.testing.assert_allclose(first.points, sliced.stages[0].points @ first.weight.T
                               + first.bias, atol=1e-9)
    np.testing.assert_array_equal(sliced.stages[3].weight, sliced.params["2.weight"])


def test_the_page_and_the_film_of_a_slice(sliced: sw.Trace, tmp_path: Path) -> None:
    from spacewarp.export.stills import weights_report
    from spacewarp.render.browser import summary

    assert summary(sliced) == ("spacewarp: a plane through digits, 400 points through "
                               "64,16,10 relu")
    spec = film_spec(sliced)
    assert spec["stages"][0]["title"].endswith("Slice: plane through rows 0, 10, 20")
    # stage 0 holds slice coordinates, not the input's x[0], x[1] (the stills say the same)
    assert spec["stages"][0]["axes"] == ["slice[0]", "slice[1]"]
    report = weights_report(sliced)  # the layer's own 16 x 64 matrix, not the slice's map
    first = report.split("\n\n")[1]
    assert "[0.weight]" in first and first.count("\n") > 16
    assert main(["animate", "--input", "digits", "--slice", "3,4", "--layers", "64,3,2",
                 "--frames-per-stage", "2", "--size", "160x120", "--out",
                 str(tmp_path / "line.gif")]) == 0


def test_the_slice_map_prints_compactly_under_its_title(sliced: sw.Trace) -> None:
    """The still's header names the map on the slice as what it is, W·axesᵀ (16 x 2, the
    layer's W times the axes: NumPy's QR) and W·origin + b, under a line with both shapes."""
    from spacewarp.render.static import weights_text

    text = weights_text(sliced, 1)  # W·axesᵀ (16, 2) and W·origin + b (16,)
    caption, rest = text.split("\n", 1)
    assert caption == ("W\u00b7axes\u1d40: its map on the slice, 16x2 "
                       "(the layer's own W is 16x64)")
    assert rest.startswith("W\u00b7axes\u1d40 = ") and "\nW\u00b7origin + b = " in rest
    w_lines = rest.split("\nW\u00b7origin")[0].splitlines()
    assert len(w_lines) == 7 and "..." in w_lines[3]  # the first 3 rows, ..., the last 3
    composed = sliced.params["0.weight"] @ qr_axes(DIGITS, [0, 10, 20]).T  # (16, 2)
    np.testing.assert_allclose(
        [float(v) for v in w_lines[0].split("[[")[1].rstrip("],").split(",")],
        composed[0], atol=1e-4)
    assert "..." in rest.split("\nW\u00b7origin")[1]


def test_measures_differentiate_along_the_slice(sliced: sw.Trace) -> None:
    from spacewarp.measure import measures

    m = measures(sliced)
    w = sliced.params["0.weight"] @ qr_axes(DIGITS, [0, 10, 20]).T  # (16, 2): d stage 1 / du
    area = 0.5 * np.log(np.linalg.det(w.T @ w))  # the slice's area change into stage 1
    np.testing.assert_allclose(m.log_area[1], area, rtol=1e-9)


@pytest.mark.parametrize("flag", [["--bounds=-1,1,-1,1"], ["--slice-points", "disk"]])
def test_slice_settings_without_a_slice_are_refused(tmp_path: Path, capsys,
                                                    flag: list[str]) -> None:
    out = tmp_path / "out"
    assert main(["render", "--input", "digits", *flag, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"spacewarp: error: {flag[0][:8]}") \
        and "give --slice too" in err, err
    assert not out.exists()


def test_a_slice_is_coloured_by_the_predicted_class_by_default(sliced: sw.Trace) -> None:
    """A still of a slice must show where the classifier's boundary runs: the default colour
    is the argmax of the network's output (NumPy on forward hooks), drawn as classes."""
    from spacewarp.render.browser import film_spec

    inputs = DIGITS[0] + sliced.stages[0].points @ qr_axes(DIGITS, [0, 10, 20])
    logits = hooked_stages(fresh_model(sliced), inputs)[-1]  # (400, 10)
    assert sliced.color_by == "predicted" and sliced.categorical
    np.testing.assert_array_equal(sliced.color, np.argmax(logits, axis=1))
    assert len(np.unique(sliced.color)) >= 2  # the plane crosses a boundary
    legend = film_spec(sliced)["color"]["legend"]
    assert [row[0] for row in legend] == [f"predicted class {c}" for c in range(10)]
    asked = sw.run(input="digits", slice="0,10,20", points=400, layers="64,16,10",
                   activation="relu", bias=True, device="cpu", color_by="x")
    assert not asked.categorical  # an explicit colouring stays the user's
    np.testing.assert_array_equal(asked.color, asked.stages[0].points[:, 0])
    one = sw.run(input="digits", slice="0,10", points=50, layers="64,4,1", activation="relu",
                 bias=True, device="cpu")  # one output: coloured by its value, not classes
    assert not one.categorical
    np.testing.assert_allclose(one.color, one.stages[-1].points[:, 0])
