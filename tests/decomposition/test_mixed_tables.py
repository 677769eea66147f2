"""Mixed-type tables: DataFrames with numeric, categorical, text, bool and missing
cells in, the same table out, one likelihood over the columns."""

import io
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from _estimators import ESTIMATOR_CLASSES
from scipy.integrate import trapezoid

import sklearn_ae
from sklearn_ae import AdversarialAE, AutoencoderTransformer, VariationalAE
from sklearn_ae.datasets import load_penguins

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def penguins():
    """The penguins table with every kind of column: text (species, sex), a
    pandas category (island), numbers with holes, an int and a bool column, and
    a text column with a rare level (2 % of rows)."""
    table = load_penguins()
    table["island"] = table["island"].astype("category")
    table["heavy"] = (table["body_mass_g"] > 4000).astype(bool)
    table["tag"] = np.where(np.arange(len(table)) % 50 == 7, "ringed", "plain")
    return table


def _small(cls, **params):
    return cls(2, hidden_layer_sizes=(16,), max_epochs=5, random_state=0, **params)


def _round_trip(model, how, path):
    if how == "pickle":
        return pickle.loads(pickle.dumps(model))
    if how == "skops":
        import skops.io as sio

        blob = sio.dumps(model)
        return sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))
    model.save(path)
    return sklearn_ae.load(path)


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_estimator_reads_and_returns_a_mixed_table(cls, penguins, tmp_path):
    model = _small(cls).fit(penguins)
    assert list(model.feature_names_in_) == list(penguins.columns)
    assert model.n_features_in_ == 10
    assert [list(levels) for levels in model.categories_] == [
        ["Adelie", "Chinstrap", "Gentoo"],
        ["Biscoe", "Dream", "Torgersen"],
        ["female", "male"],
        [False, True],
        ["plain", "ringed"],
    ]
    assert model.is_categorical_.tolist() == [1, 1, 0, 0, 0, 0, 1, 0, 1, 1]
    codes = model.transform(penguins)
    assert codes.shape == (344, 2) and np.isfinite(codes).all()
    for table in (model.inverse_transform(codes), model.reconstruct(penguins)):
        assert list(table.columns) == list(penguins.columns)
        assert table.dtypes.tolist() == penguins.dtypes.tolist()
        assert table.notna().all().all()  # every hole filled
        assert set(table["species"]) <= {"Adelie", "Chinstrap", "Gentoo"}
        assert list(table["island"].cat.categories) == ["Biscoe", "Dream", "Torgersen"]
        assert (table["year"] == table["year"].round()).all()
        assert set(table["tag"]) <= {"plain", "ringed"}
    scores = model.score_samples(penguins)
    assert scores.shape == (344,) and np.isfinite(scores).all()
    for how in ("pickle", "skops", "save"):
        again = _round_trip(model, how, tmp_path / how)
        np.testing.assert_array_equal(again.score_samples(penguins[:20]), scores[:20])
        pd.testing.assert_frame_equal(again.reconstruct(penguins), model.reconstruct(penguins))


@pytest.mark.parametrize("cls", [VariationalAE, AdversarialAE], ids=lambda cls: cls.__name__)
def test_samples_are_valid_rows_drawn_from_the_observation_model(cls, penguins):
    model = cls(2, hidden_layer_sizes=(32,), max_epochs=60, random_state=0).fit(penguins)
    rows = model.sample(400, random_state=1)
    assert list(rows.columns) == list(penguins.columns)
    assert rows.dtypes.tolist() == penguins.dtypes.tolist()
    assert set(rows["species"]) == {"Adelie", "Chinstrap", "Gentoo"}  # drawn, not argmax only
    for name in ("bill_length_mm", "body_mass_g", "year"):
        assert penguins[name].min() <= rows[name].min()
        assert rows[name].max() <= penguins[name].max()
    assert set(rows["year"]) <= {2007, 2008, 2009}
    # Numbers are drawn around the decoder's mean, not the mean itself.
    means = model.inverse_transform(model._prior_draws(400, 1).astype(np.float32))
    assert not np.allclose(rows["bill_depth_mm"], means["bill_depth_mm"])
    assert rows.equals(model.sample(400, random_state=1))


@pytest.mark.parametrize("cls", [AutoencoderTransformer, VariationalAE, AdversarialAE])
def test_the_mixed_likelihood_sums_to_one_over_levels_and_numbers(cls):
    # A number whose mean depends on a category: integrating exp(score) over a
    # grid of the number and summing over the levels gives 1.
    rng = np.random.default_rng(0)
    level = rng.choice(["a", "b", "c"], 300, p=[0.5, 0.3, 0.2])
    x = np.select([level == "a", level == "b"], [10.0, 13.0], 16.0) + rng.normal(0, 1, 300)
    table = pd.DataFrame({"x": x, "level": level})
    model = cls(1, hidden_layer_sizes=(8,), max_epochs=200, random_state=0).fit(table)
    grid = np.linspace(x.min() - 8, x.max() + 8, 801)
    total = sum(
        trapezoid(np.exp(model.score_samples(pd.DataFrame({"x": grid, "level": name}))), grid)
        for name in "abc"
    )
    assert total == pytest.approx(1.0, abs=0.02)


def test_categorical_features_by_name_index_or_mask_give_one_model(penguins):
    numbers = penguins[["bill_length_mm", "flipper_length_mm", "year"]].dropna()
    array = numbers.to_numpy()
    by_name = _small(AutoencoderTransformer, categorical_features=["year"]).fit(numbers)
    by_index = _small(AutoencoderTransformer, categorical_features=[2]).fit(array)
    by_mask = _small(AutoencoderTransformer, categorical_features=[False, False, True]).fit(array)
    assert by_name.spec_.column_blocks == by_index.spec_.column_blocks
    np.testing.assert_array_equal(by_index.transform(array), by_mask.transform(array))
    np.testing.assert_array_equal(by_index.transform(array), by_name.transform(numbers))
    assert [list(levels) for levels in by_index.categories_] == [[2007, 2008, 2009]]
    out = by_index.reconstruct(array)
    assert isinstance(out, np.ndarray) and set(out[:, 2]) <= {2007.0, 2008.0, 2009.0}
    plain = _small(AutoencoderTransformer, categorical_features=None).fit(numbers)
    assert plain.spec_.column_blocks == () and not hasattr(plain, "table_layout_")


def test_level_probabilities_are_distributions_over_each_column(penguins):
    model = _small(AutoencoderTransformer).fit(penguins)
    probabilities = model.reconstruct_proba(penguins)
    assert list(probabilities) == ["species", "island", "sex", "heavy", "tag"]
    for name, levels in zip(probabilities, model.categories_, strict=True):
        assert probabilities[name].shape == (344, len(levels))
        np.testing.assert_allclose(probabilities[name].sum(1), 1, rtol=1e-6)
    top = model.reconstruct(penguins)
    best = model.categories_[0][probabilities["species"].argmax(1)]
    assert (top["species"].to_numpy() == best).all()


def test_an_unseen_level_counts_as_a_missing_cell(penguins):
    model = _small(AutoencoderTransformer).fit(penguins)
    row = penguins[:1].copy()
    missing = row.copy()
    row["species"], missing["species"] = "Emperor", np.nan
    with pytest.warns(UserWarning, match=r"missing cells \('species': \['Emperor'\]\)"):
        scored = model.score_samples(row)
    np.testing.assert_allclose(scored, model.score_samples(missing))


@pytest.mark.parametrize(
    ("params", "change", "match"),
    [
        ({}, lambda t: t.assign(bill_length_mm="long"), r"Column 'bill_length_mm' was numeric"),
        ({}, lambda t: t.assign(body_mass_g=np.inf), r"\['body_mass_g'\] of X contain infinity"),
        ({"loss": "bce"}, None, "loss='bce' models every column alike"),
        ({"categorical_features": ["beak"]}, None, "names the column 'beak', which X lacks"),
        ({"categorical_features": [True]}, None, "1 booleans but X has 10 columns"),
        ({"image_shape": (3, 3)}, None, "image_shape describes pixels"),
    ],
)
def test_bad_tables_get_errors_that_name_the_column_and_the_fix(penguins, params, change, match):
    model = _small(AutoencoderTransformer, **params)
    if change is None:
        with pytest.raises(ValueError, match=match):
            model.fit(penguins)
        return
    model.fit(penguins)
    before = model.transform(penguins)
    with pytest.raises(ValueError, match=match):
        model.transform(change(penguins.copy()))
    with pytest.raises(ValueError, match=match):
        model.set_params(warm_start=True).fit(change(penguins.copy()))
    np.testing.assert_array_equal(model.transform(penguins), before)


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_a_date_column_is_refused_by_name_before_it_becomes_levels(cls, penguins):
    dated = penguins.assign(seen=pd.Timestamp("2007-11-01") + pd.to_timedelta(penguins.index, "D"))
    # It was read as 344 levels, and save failed: "Timestamp is not JSON serializable".
    match = r"Column 'seen' \(datetime64\[\w+\]\) holds Timestamp values .*a date to a number"
    with pytest.raises(ValueError, match=match):
        _small(cls).fit(dated)


def test_a_column_with_no_observed_value_is_named(penguins):
    table = penguins.assign(notes=pd.Series([None] * len(penguins), dtype=object))
    with pytest.raises(ValueError, match="Column 'notes' of X has no observed value"):
        _small(AutoencoderTransformer).fit(table)


def test_warm_start_and_partial_fit_keep_the_fitted_layout(penguins):
    model = _small(AutoencoderTransformer, warm_start=True).fit(penguins)
    layout = model.table_layout_
    model.fit(penguins[penguins["species"] != "Gentoo"])  # a level absent: same layout
    assert model.table_layout_ is layout and model.n_iter_ == 10
    stream = _small(AutoencoderTransformer)
    for chunk in np.array_split(np.arange(len(penguins)), 4):
        stream.partial_fit(penguins.iloc[chunk])
    assert [list(levels) for levels in stream.categories_][0] == ["Adelie"]  # from chunk one
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the later chunks' unseen species
        assert np.isfinite(stream.score_samples(penguins)).all()


@pytest.mark.parametrize("how", ["pickle", "save"])
def test_integer_column_labels_come_back_as_they_went_in(penguins, how, tmp_path):
    numbered = penguins.set_axis(range(penguins.shape[1]), axis=1)  # as pd.DataFrame(array)
    model = _round_trip(_small(VariationalAE).fit(numbered), how, tmp_path)
    for table in (model.reconstruct(numbered), model.sample(3, random_state=0)):
        assert list(table.columns) == list(range(10))
        assert table.dtypes.tolist() == numbered.dtypes.tolist()
    filled = sklearn_ae.AutoencoderImputer(max_epochs=2, random_state=0).fit_transform(numbered)
    assert list(filled.columns) == list(range(10)) and filled.notna().all().all()


def test_saved_layout_is_checked_on_load(penguins, tmp_path):
    import json

    _small(AutoencoderTransformer).fit(penguins).save(tmp_path)
    document = json.loads((tmp_path / "estimator.json").read_text())
    document["fitted"]["table_layout_"]["columns"][2]["scale"] = -1.0
    (tmp_path / "estimator.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="numeric column"):
        sklearn_ae.load(tmp_path)


def test_penguins_ship_with_the_package():
    table = load_penguins()
    assert table.shape == (344, 8) and int(table.isna().sum().sum()) == 19
    assert io.StringIO(table.to_csv(index=False)).read().startswith("species,island")


def test_onnx_refuses_a_mixed_table_model_and_names_the_pipeline_that_exports(penguins):
    pytest.importorskip("onnxruntime")
    from skl2onnx import to_onnx

    from sklearn_ae.onnx import register_converters

    register_converters()
    model = _small(AutoencoderTransformer).fit(penguins)
    with pytest.raises(ValueError, match="ColumnTransformer with OneHotEncoder"):
        to_onnx(model, penguins[:1])
