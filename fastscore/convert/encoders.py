"""The column-wise steps of a preprocessing pipeline: encoders, imputers, binning, scalers, polynomial terms.

Each handler maps the symbolic features a fitted step reads
(fastscore.convert.features) to those it writes: ``handler(step, features,
path, ctx) -> features``. Steps that work column by column share one
frame (columnwise): numbers (Raw, Num) go through the handler's own rule,
categorical features (Cat) through the fitted step itself (probe), which
gives scikit-learn's exact outputs for each code.
"""
from typing import Any, Callable, Dict, FrozenSet, List, Sequence

import numpy as np

from fastscore.convert.features import (Cat, Code, Feature, Num, Ops, Raw, Term, as_num, bins_code, category_probe,
                                        const, finish_probe, probe, probe_rows, refuse)
from fastscore.convert.parts import MUL_ADD, Table
from fastscore.encoders import CATEGORIES, Encode, is_missing

PRE = "sklearn.preprocessing"
#: handler(step, features, path, ctx) -> the step's output features (ctx: fastscore.convert.columns.Context)
Handler = Callable[[Any, List[Feature], str, Any], List[Feature]]
#: numbers(i, feature) -> the outputs of input i, for an input that is not a Cat
Numbers = Callable[[int, Feature], List[Feature]]


def columnwise(step: Any, features: List[Feature], out_inputs: Sequence[int], numbers: Numbers,
               neutral: Callable[[int], Any] = lambda i: 0.0) -> List[Feature]:
    """The outputs of a step whose output column o depends on input out_inputs[o] only.

    numbers(i, f) gives the outputs of each input that is not a Cat, in
    order; Cat inputs are run through the step (the other columns hold
    neutral(j), a value the step accepts there).
    """
    per_input: Dict[int, List[Feature]] = {}
    errors: FrozenSet[int]
    counts: Dict[int, int] = {}
    for i in out_inputs:
        counts[i] = counts.get(i, 0) + 1
    cats = [i for i, f in enumerate(features) if isinstance(f, Cat)]
    for i, f in enumerate(features):
        if not isinstance(f, Cat):
            per_input[i] = numbers(i, f)
    batch = None
    if len(cats) > 1:
        columns = [list(f.values) if isinstance(f, Cat) else [neutral(i)] for i, f in enumerate(features)]
        try:
            batch = probe(step, columns)
        except (ValueError, TypeError):
            batch = None
    positions: Dict[int, List[int]] = {}
    for o, i in enumerate(out_inputs):
        positions.setdefault(i, []).append(o)
    for i in cats:
        f = features[i]
        assert isinstance(f, Cat)
        n = len(f.values)
        if batch is not None:
            rows, errors = batch[:n], frozenset()
        else:
            # the other columns hold a value they can have: a Cat its first (of its dtype), others neutral
            columns = [[g.values[0]] if isinstance(g, Cat) else [neutral(j)] for j, g in enumerate(features)]
            columns[i] = list(f.values)
            rows, errors = probe_rows(step, columns, i)
        per_input[i] = [Cat(f.code, rows[:n, o], f.errors | errors) for o in positions.get(i, [])]
    out: List[Feature] = []
    taken: Dict[int, int] = {}
    for i in out_inputs:
        j = taken.get(i, 0)
        taken[i] = j + 1
        if j >= len(per_input[i]):
            raise refuse(step, "?", f"fastscore expected {counts[i]} outputs from input {i}")
        out.append(per_input[i][j])
    return out


def _each(n: int, times: Sequence[int] = ()) -> List[int]:
    """Output -> input for n inputs, input i writing times[i] outputs (1 each when times is empty)."""
    return [i for i in range(n) for _ in range(times[i] if times else 1)]


# ---- scalers --------------------------------------------------------------------------------------

def _scaler(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
    if getattr(step, "clip", False):
        raise refuse(step, path, "clip=True is not linear; fastscore converts scalers with clip=False")
    affine = ctx.registry.steps[type(step)](step, ctx.registry)

    def ops(i: int) -> Ops:
        if affine.op == MUL_ADD:
            return (("mul", float(affine.scale[i])), ("add", float(affine.shift[i])))
        out: Ops = ()
        if affine.shift is not None:
            out += (("sub", float(affine.shift[i])),)
        if affine.scale is not None:
            out += (("div", float(affine.scale[i])),)
        return out

    def numbers(i: int, f: Feature) -> List[Feature]:
        if isinstance(f, Term):  # a vectorizer's column: sparse, which only a scale keeps sparse
            if any(op in ("sub", "add") for op, _ in ops(i)):
                raise refuse(step, path, "it shifts the columns of a text vectorizer; after a vectorizer "
                                         "fastscore converts scalers that only scale (MaxAbsScaler, "
                                         "StandardScaler(with_mean=False), RobustScaler(with_centering=False))")
            return [f._replace(ops=f.ops + ops(i))]
        n = as_num(f, step, path)
        return [n._replace(ops=n.ops + ops(i))]

    return columnwise(step, features, _each(len(features)), numbers)


# ---- imputers and missing indicators -------------------------------------------------------------------

def _check_missing_values(step: Any, path: str) -> None:
    if not is_missing(step.missing_values):
        raise refuse(step, path, f"missing_values={step.missing_values!r}: fastscore imputes missing values "
                                 "(NaN, None, pandas.NA), not markers")


def _indicator(step: Any, f: Feature, path: str) -> Feature:
    """Whether input f (a Raw or a Num) is missing, as a 0/1 feature (a table on its input)."""
    if isinstance(f, (Cat, Term)):
        raise AssertionError("a Cat's missing values are found by the step itself; a Term never arrives here")
    if isinstance(f, Num) and f.factors:
        raise refuse(step, path, "it marks missing values of a polynomial term")
    if f.fill is not None:  # an imputer before: nothing arrives missing
        return const(0.0)
    return Cat(missing_code(f.col), np.array([0.0, 1.0]))


def missing_code(col: int) -> Code:
    """The Code of whether input col is missing: no categories, so a present value is "unknown" (0), a missing one 1.

    It reads the input as numbers or as categories, whichever the input's other uses make it.
    """
    return Code(col, Encode(CATEGORIES, (), ()), 2, 0, 1, None)


def _simple_imputer(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
    _check_missing_values(step, path)
    stats = step.statistics_
    objects = getattr(step, "_fit_dtype", np.dtype(float)).kind == "O"
    kept = [i for i in range(len(features)) if step.keep_empty_features or not is_missing(stats[i])]
    indicated = list(step.indicator_.features_) if step.add_indicator else []

    def numbers(i: int, f: Feature) -> List[Feature]:
        out: List[Feature] = []
        if i in kept:
            out.append(_imputed(step, f, stats[i], objects, path))
        if i in indicated:
            out.append(_indicator(step, f, path))
        return out

    return columnwise(step, features, kept + indicated, numbers)


def _imputed(step: Any, f: Feature, stat: Any, objects: bool, path: str) -> Feature:
    dtype = getattr(step, "_fill_dtype", None)
    if dtype is not None and np.dtype(dtype).kind in "fiu" and not is_missing(stat):
        stat = np.asarray(stat).astype(dtype)  # scikit-learn fills with the statistic in the dtype it was fitted on
    if isinstance(stat, np.generic) or (isinstance(stat, np.ndarray) and stat.ndim == 0):
        stat = stat.item()
    if isinstance(f, Raw) and (objects or isinstance(stat, str)):
        return f if f.fill is not None else Raw(f.col, stat)
    n = as_num(f, step, path)
    if n.fill is not None:
        return n
    if n.ops or n.factors:
        raise refuse(step, path, "it imputes values that a step before it has transformed; fastscore "
                                 "converts imputers that read the input column as it is")
    return n._replace(fill=float(stat))


def _missing_indicator(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
    _check_missing_values(step, path)
    indicated = [int(i) for i in step.features_]
    out = columnwise(step, features, indicated,
                     lambda i, f: [_indicator(step, f, path)] if i in indicated else [])
    if step.error_on_new and step.features == "missing-only":
        # scikit-learn raises for a missing value in a column where it found none at fit time
        for i, f in enumerate(features):
            if i not in indicated and not isinstance(f, (Cat, Term)) and f.fill is None:
                ctx.guards.append(Cat(missing_code(f.col), np.zeros(2), frozenset({1})))
    return out


# ---- encoders --------------------------------------------------------------------------------------

def _encoder(outputs_per_input: Callable[[Any], Sequence[int]]) -> Handler:
    """The handler of an encoder of categories (OneHot, Ordinal, Target): its input columns become codes."""

    def handler(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
        cats = step.categories_
        times = list(outputs_per_input(step))
        objects = [c.dtype.kind == "O" for c in cats]  # probe each column with the dtype it was fitted on

        def neutral(j: int) -> Any:
            return categories_value(cats[j])

        def numbers(i: int, f: Feature) -> List[Feature]:
            p = category_probe(f, cats[i], step, path)
            columns = [[neutral(j)] for j in range(len(features))]
            columns[i] = p.values
            rows, errors = probe_rows(step, columns, i, objects)
            code, rows, errors = finish_probe(p, rows, errors)
            start = sum(times[:i])
            return [Cat(code, rows[:, start + o], errors) for o in range(times[i])]

        return columnwise(step, features, _each(len(features), times), numbers, neutral)

    return handler


def categories_value(categories: Sequence[Any]) -> Any:
    """A value the encoder knows in a column: its first category."""
    return categories[0]


def _one_hot_outputs(step: Any) -> Sequence[int]:
    return step._n_features_outs


def _target_outputs(step: Any) -> Sequence[int]:
    k = len(step.classes_) if getattr(step, "target_type_", "") == "multiclass" else 1
    return [k] * len(step.categories_)


def _ordinal_outputs(step: Any) -> Sequence[int]:
    return [1] * len(step.categories_)


# ---- bins ------------------------------------------------------------------------------------------

def _kbins(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
    if step.dtype is not None and np.dtype(step.dtype) != np.float64:
        raise refuse(step, path, f"dtype={np.dtype(step.dtype).name} bins values rounded to it; fastscore "
                                 "converts KBinsDiscretizer with dtype None or float64")
    edges = step.bin_edges_
    onehot = step.encode != "ordinal"
    times = [int(n) for n in step.n_bins_] if onehot else [1] * len(edges)

    def numbers(i: int, f: Feature) -> List[Feature]:
        n = as_num(f, step, path)
        if n.factors:
            raise refuse(step, path, "it bins a polynomial term")
        e = np.asarray(edges[i], dtype=np.float64)
        code = bins_code(n.col, e[1:-1], n.ops, n.fill)
        reps = [_inside(e, b) for b in range(len(e) - 1)]
        columns = [[0.0] for _ in features]
        columns[i] = reps
        rows = probe(step, columns)
        start = sum(times[:i])
        return [Cat(code, rows[:, start + o]) for o in range(times[i])]

    return columnwise(step, features, _each(len(features), times), numbers)


def _inside(edges: np.ndarray, b: int) -> float:
    """A number that falls in bin b (between edges b and b + 1) as KBinsDiscretizer finds bins."""
    lo, hi = edges[b], edges[b + 1]
    if np.isfinite(lo):
        return float(lo)
    return float(hi) - 1.0 if np.isfinite(hi) else 0.0


# ---- polynomial terms ------------------------------------------------------------------------------

def _polynomial(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
    cats = [f for f in features if isinstance(f, Cat)]
    codes = {id(f.code) for f in cats if f.code is not None}
    if cats and len(cats) == len(features) and len(codes) <= 1:
        # every term is a function of one input's code: scikit-learn computes each code's terms
        first = next((f for f in cats if f.code is not None), cats[0])
        n = len(first.values)
        columns = [list(f.values) if f.code is not None else [f.values[0]] * n for f in cats]
        rows = probe(step, columns)
        errors = frozenset().union(*(f.errors for f in cats))
        return [Cat(first.code, rows[:, o], errors) if first.code is not None else Cat(None, rows[:1, o])
                for o in range(rows.shape[1])]
    # otherwise each term is a product of numbers and of values of codes, computed as scikit-learn does
    factors_of = [f if isinstance(f, Cat) else as_num(f, step, path) for f in features]
    out: List[Feature] = []
    for powers in np.asarray(step.powers_):
        factors = tuple(factors_of[i] for i in range(len(features)) for _ in range(int(powers[i])))
        if not factors:
            out.append(const(1.0))
        elif len(factors) == 1:
            out.append(factors[0])
        else:
            for g in factors:
                if isinstance(g, Num) and g.factors:
                    raise refuse(step, path, "it multiplies polynomial terms again, which fastscore does not "
                                             "convert")
                if isinstance(g, Cat) and g.code is None:
                    raise refuse(step, path, "it multiplies a constant feature, which fastscore does not "
                                             "convert")
            out.append(Num(-1, None, (), factors))
    return out


# ---- other steps -----------------------------------------------------------------------------------

def _function(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
    if step.func is not None:
        name = getattr(step.func, "__name__", type(step.func).__name__)
        raise refuse(step, path, f"it runs Python code (func={name}), which a model file cannot hold; "
                                 "FunctionTransformer(func=None), the identity, converts")
    return list(features)


#: (module, class name) -> handler
HANDLERS: Table[Handler] = {
    (PRE, "StandardScaler"): _scaler,
    (PRE, "MinMaxScaler"): _scaler,
    (PRE, "MaxAbsScaler"): _scaler,
    (PRE, "RobustScaler"): _scaler,
    (PRE, "OneHotEncoder"): _encoder(_one_hot_outputs),
    (PRE, "OrdinalEncoder"): _encoder(_ordinal_outputs),
    (PRE, "TargetEncoder"): _encoder(_target_outputs),
    (PRE, "KBinsDiscretizer"): _kbins,
    (PRE, "PolynomialFeatures"): _polynomial,
    (PRE, "FunctionTransformer"): _function,
    ("sklearn.impute", "SimpleImputer"): _simple_imputer,
    ("sklearn.impute", "MissingIndicator"): _missing_indicator,
}

#: (module, class name) -> why a step that looks convertible is not
REFUSED: Table[str] = {
    (PRE, "SplineTransformer"): "its B-splines are piecewise polynomials of several pieces per column, which "
                                "fastscore's model format does not hold",
}
