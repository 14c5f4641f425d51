"""Fold a Pipeline's scalers into the model that ends it (see fastscore.convert for the registry).

Every supported scaler maps each feature affinely, x' = (x - m) / s or
x' = x * s + q, so z = w . x' + b is again linear in x. Going backwards from
the model, each scaler's divisor or factor goes into the coefficients and
its shift into the intercept. One shift is kept apart: the first step's
centre, which the kernel subtracts from the raw x before multiplying, exactly
as scikit-learn does. Folding it into the intercept would instead add and
then cancel terms of the size of x itself (think of x near 1e6 with a spread
of 1), losing the digits that scikit-learn keeps. Later shifts act on values
that scikit-learn has already rounded at their own magnitude, so folding
them adds no error of a larger order than scikit-learn's own.
"""
import numpy as np

from fastscore.convert import ConversionError, check_fitted, convert_parts, resolve

PRE = "sklearn.preprocessing"
SUB_DIV, MUL_ADD = "sub_div", "mul_add"


def _standard(sc):
    return SUB_DIV, sc.mean_ if sc.with_mean else None, sc.scale_ if sc.with_std else None


def _robust(sc):
    return SUB_DIV, sc.center_ if sc.with_centering else None, sc.scale_ if sc.with_scaling else None


def _max_abs(sc):
    return SUB_DIV, None, sc.scale_


def _min_max(sc):
    return MUL_ADD, sc.min_, sc.scale_


#: (module, class name) -> reader giving (SUB_DIV, m, s) for (x - m) / s, or (MUL_ADD, q, s) for x * s + q
SCALERS = {
    (PRE, "StandardScaler"): _standard,
    (PRE, "MinMaxScaler"): _min_max,
    (PRE, "MaxAbsScaler"): _max_abs,
    (PRE, "RobustScaler"): _robust,
}


def _steps(pipe):
    """The pipeline's estimators in order, nested pipelines expanded, passthrough steps dropped."""
    from sklearn.pipeline import Pipeline

    out = []
    for _, step in pipe.steps:
        if type(step) is Pipeline:
            out.extend(_steps(step))
        elif step is not None and not (isinstance(step, str) and step == "passthrough"):
            out.append(step)
    return out


def _scaler(est, scalers):
    reader = scalers.get(type(est))
    if reader is None:
        raise ConversionError(
            f"fastscore cannot fold {type(est).__name__} into a Pipeline: the steps before the model "
            f"must be scalers ({', '.join(name for _, name in SCALERS)})")
    if getattr(est, "clip", False):
        raise ConversionError(f"{type(est).__name__}(clip=True) is not linear; fastscore folds scalers "
                              "with clip=False only")
    check_fitted(est)
    op, shift, scale = reader(est)
    return op, _floats(shift), _floats(scale)


def _floats(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


def _pipeline(pipe):
    scalers = resolve(SCALERS)
    steps = _steps(pipe)
    if not steps or type(steps[-1]) in scalers:
        raise ConversionError("Pipeline does not end in a model: fastscore converts a Pipeline of "
                              "scalers followed by a supported estimator")
    affine = [_scaler(s, scalers) for s in steps[:-1]]
    parts = convert_parts(steps[-1])
    if parts.center is not None:  # a model that centres (a wrapped pipeline) is one more step
        affine.append((SUB_DIV, parts.center, None))
    coef = parts.coef.reshape(-1, parts.coef.shape[-1])
    intercept = parts.intercept.reshape(-1)
    center = None
    for i, (op, shift, scale) in reversed(list(enumerate(affine))):
        if op == MUL_ADD:  # w . (x s + q) = (w s) . x + w . q
            intercept = intercept + coef @ shift
            coef = coef * scale
            continue
        if scale is not None:  # w . (x - m) / s = (w / s) . (x - m)
            coef = coef / scale
        if shift is not None:
            if i == 0:
                center = shift
            else:
                intercept = intercept - coef @ shift
    names = [type(s).__name__ for s in steps[:-1]] + [parts.name]
    return parts._replace(name=f"Pipeline({', '.join(names)})",
                          coef=coef.reshape(parts.coef.shape),
                          intercept=intercept.reshape(parts.intercept.shape), center=center)


#: (module, class name) -> converter
CONVERTERS = {("sklearn.pipeline", "Pipeline"): _pipeline}
