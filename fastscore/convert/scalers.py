"""The scalers: the steps a Pipeline folds in front of its model, each read as an Affine map.

fastscore.convert.pipelines does the folding; this table says how each
scaler maps a feature, read from its fitted attributes, and on_sparse what
scikit-learn's transform does to sparse X instead.
"""
from typing import Any, Optional

import numpy as np

from fastscore.convert.parts import MUL_ADD, SUB_DIV, Affine, Registry, StepReader, Table

PRE = "sklearn.preprocessing"


def _affine(op: str, shift: Any, scale: Any) -> Affine:
    return Affine(op, _floats(shift), _floats(scale))


def _floats(a: Any) -> Optional[np.ndarray]:
    return None if a is None else np.asarray(a, dtype=np.float64)


def _standard(sc: Any, registry: Registry) -> Affine:
    return _affine(SUB_DIV, sc.mean_ if sc.with_mean else None, sc.scale_ if sc.with_std else None)


def _robust(sc: Any, registry: Registry) -> Affine:
    return _affine(SUB_DIV, sc.center_ if sc.with_centering else None, sc.scale_ if sc.with_scaling else None)


def _max_abs(sc: Any, registry: Registry) -> Affine:
    return _affine(SUB_DIV, None, sc.scale_)


def _min_max(sc: Any, registry: Registry) -> Affine:
    return _affine(MUL_ADD, sc.min_, sc.scale_)


#: on_sparse's answers: scikit-learn's transform raises TypeError (dense data is required), raises
#: ValueError (it cannot centre sparse X), or skips the centring and only scales
DENSE, CENTER, SKIP = "dense", "center", "skip"


def on_sparse(sc: Any) -> Optional[str]:
    """What a scaler of STEPS does to sparse X in scikit-learn: DENSE, CENTER, SKIP, or None (as to dense X).

    MaxAbsScaler and the scalers that do not centre scale sparse X as they
    scale dense X; RobustScaler's transform leaves the centre out on sparse
    X (only its fit refuses to centre it).
    """
    name = type(sc).__name__
    if name == "MinMaxScaler":
        return DENSE
    if name == "StandardScaler" and sc.with_mean:
        return CENTER
    if name == "RobustScaler" and sc.with_centering:
        return SKIP
    return None


#: (module, class name) -> reader of the fitted scaler's Affine map
STEPS: Table[StepReader] = {
    (PRE, "StandardScaler"): _standard,
    (PRE, "MinMaxScaler"): _min_max,
    (PRE, "MaxAbsScaler"): _max_abs,
    (PRE, "RobustScaler"): _robust,
}
