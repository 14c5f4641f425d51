"""What the steps of a preprocessing pipeline do to SciPy sparse X in scikit-learn, for its input stage.

A pipeline with an input stage (fastscore.convert.columns) scores sparse X
as X.toarray() when every step scikit-learn runs treats sparse X as it
treats dense X; it refuses sparse X, as scikit-learn's step raises, when
the first step that sees it needs dense data or would centre it. flow()
follows X through the steps, knowing at each point whether it is sparse or
dense; anything it cannot tell (a RobustScaler that skips its centre on
sparse X; a ColumnTransformer, which refuses some sparse formats and whose
output is sparse or dense by its density; a step of unknown kind) leaves
the model refusing sparse X as an input stage does.
"""
from typing import Any, List, Optional, Tuple

from fastscore.convert import scalers
from fastscore.convert.parts import Parts, SparseError

SPARSE, DENSE = "sparse", "dense"


class _Stop(Exception):
    """The flow's outcome is known before its end: an error (a SparseError), or None (fastscore cannot tell)."""

    def __init__(self, error: Optional[SparseError]):
        super().__init__()
        self.error = error


#: steps that need dense data (scikit-learn's _check_X or validate_data without accept_sparse)
_DENSE_ONLY = {"OneHotEncoder", "OrdinalEncoder", "TargetEncoder", "KBinsDiscretizer"}
#: steps that take sparse X and give sparse X of the values they give dense X (the scalers: when
#: _refuses says None; FunctionTransformer: func=None, the identity, the only one converted)
_KEEP_SPARSE = {"PolynomialFeatures", "SimpleImputer", "FunctionTransformer", "StandardScaler", "MaxAbsScaler",
                "RobustScaler"}


def flow(pre: List[Tuple[str, Any]], model: Parts) -> Tuple[Optional[SparseError], bool]:
    """(error, densify) for sparse X through the steps `pre` (path, step) and then the model's Parts.

    error: the first step that raises on sparse X; densify: sparse X is
    scored as X.toarray(); neither: fastscore refuses sparse X.
    """
    try:
        state = SPARSE
        for path, step in pre:
            state = _step(step, state, path)
        if state == SPARSE and model.sparse_error is not None:
            return model.sparse_error, False
        if state == SPARSE and model.sparse_intercept is not None:
            return None, False
        return None, True
    except _Stop as stop:
        return stop.error, False


def _step(step: Any, state: str, path: str) -> str:
    """The state of X after step, from its state before; raises _Stop when the outcome is known.

    Once X is dense, every later step computes what it computes on
    X.toarray(): its input holds the same values in the same form.
    """
    from sklearn.pipeline import Pipeline

    if step is None or (isinstance(step, str) and step in ("passthrough", "drop")):
        return state
    name = type(step).__name__
    if type(step) is Pipeline:
        for sub, inner in step.steps:
            state = _step(inner, state, f"{path}/{sub}")
        return state
    if name == "FeatureUnion":  # scipy.sparse.hstack as soon as one part is sparse
        states = [_step(inner, state, f"{path}/{sub}") for sub, inner in step.transformer_list]
        return SPARSE if SPARSE in states else DENSE
    if state == DENSE:
        return DENSE
    how = _refuses(step)
    if how in (scalers.DENSE, scalers.CENTER):
        raise _Stop(SparseError(name, path, how))
    if how is None and name == "MissingIndicator":
        return {True: SPARSE, False: DENSE}.get(step.sparse, state)  # "auto": as its input
    if how is None and name in _KEEP_SPARSE:
        return state
    raise _Stop(None)  # a RobustScaler skipping its centre, a ColumnTransformer, a step of unknown kind


def _refuses(step: Any) -> Optional[str]:
    """scalers.DENSE or scalers.CENTER when scikit-learn's step raises on sparse X, scalers.SKIP when it
    skips its centre on sparse X, None otherwise."""
    name = type(step).__name__
    if name in _DENSE_ONLY:
        return scalers.DENSE
    if name == "FunctionTransformer":
        return scalers.DENSE if step.validate and not step.accept_sparse else None
    if name in ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler"):
        return scalers.on_sparse(step)
    return None
