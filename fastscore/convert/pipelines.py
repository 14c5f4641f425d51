"""The pipelines: fold a Pipeline's scalers into the model that ends it.

A Pipeline with other steps before its model (encoders, imputers,
ColumnTransformer) is walked by fastscore.convert.columns instead.

Every step the registry folds (fastscore.convert.scalers) maps each feature
affinely, x' = (x - m) / s or x' = x * s + q, so z = w . x' + b is again
linear in x. Going backwards from the model, each step's divisor or factor
goes into the coefficients and its shift into the intercept. One shift is
kept apart: the first step's centre, which the kernel subtracts from the raw
x before multiplying, exactly as scikit-learn does. Folding it into the
intercept would instead add and then cancel terms of the size of x itself
(think of x near 1e6 with a spread of 1), losing the digits that
scikit-learn keeps. Later shifts act on values that scikit-learn has
already rounded at their own magnitude, so folding them adds no error of a
larger order than scikit-learn's own.

On sparse X scikit-learn's scalers behave otherwise (scalers.on_sparse):
the first step that raises is recorded (Parts.sparse_error), and a
RobustScaler that centres skips its centre, so that the model then scales
only: the same coefficients, and the model's own intercept, without any
step's shift (Parts.sparse_intercept).
"""
from typing import Any, List, Tuple

from fastscore.convert import scalers
from fastscore.convert.parts import (MUL_ADD, SUB_DIV, Affine, ConversionError, Converter, Parts, Registry,
                                     SparseError, Table, check_fitted)


def _steps(pipe: Any, prefix: str = "") -> List[Tuple[str, Any]]:
    """The pipeline's (path, estimator) pairs in order, nested pipelines expanded, passthrough steps dropped.

    A step's path is its name, after those of the pipelines it is nested in ("inner/scaler").
    """
    from sklearn.pipeline import Pipeline

    out = []
    for name, step in pipe.steps:
        if type(step) is Pipeline:
            out.extend(_steps(step, f"{prefix}{name}/"))
        elif step is not None and not (isinstance(step, str) and step == "passthrough"):
            out.append((prefix + name, step))
    return out


def _step(est: Any, registry: Registry) -> Affine:
    """The Affine map of a step, with `registry` located at the step."""
    reader = registry.steps.get(type(est))
    if reader is None:
        raise registry.refuse(est, f"{_runs_code(est)}fastscore cannot fold {type(est).__name__} into a "
                                   f"Pipeline: the steps before the model must be scalers "
                                   f"({', '.join(registry.step_names())})")
    try:
        if getattr(est, "clip", False):
            raise ConversionError(f"{type(est).__name__}(clip=True) is not linear; fastscore folds scalers "
                                  "with clip=False only")
        check_fitted(est)
        return reader(est, registry)
    except ConversionError as exc:
        raise registry.refuse(est, str(exc)) from None


def _runs_code(est: Any) -> str:
    """ "it runs Python code ...; " for a step that calls a function of the user's (FunctionTransformer), else ""."""
    func = getattr(est, "func", None)
    if type(est).__name__ != "FunctionTransformer" or func is None:
        return ""
    return f"it runs Python code (func={getattr(func, '__name__', type(func).__name__)}), which a model " \
           "file cannot hold; "


def _pipeline(pipe: Any, registry: Registry) -> Parts:
    named = _steps(pipe)
    steps = [step for _, step in named]
    if any(type(s) not in registry.steps for s in steps[:-1]):  # encoders, imputers, ...: not only scalers
        from fastscore.convert import columns

        return columns.convert_pipeline(pipe, registry)
    if not steps or type(steps[-1]) in registry.steps:
        raise ConversionError("Pipeline does not end in a model: fastscore converts a Pipeline of "
                              "scalers followed by a supported estimator")
    affine = [_step(s, registry.at(name)) for name, s in named[:-1]]
    parts = registry.convert(steps[-1], at=named[-1][0])
    if parts.center is not None:  # a model that centres (a wrapped pipeline) is one more step
        affine.append(Affine(SUB_DIV, parts.center, None))
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
    sparse_error, sparse_intercept = _on_sparse(named[:-1], parts, registry)
    return parts._replace(name=f"Pipeline({', '.join(names)})",
                          coef=coef.reshape(parts.coef.shape),
                          intercept=intercept.reshape(parts.intercept.shape), center=center,
                          sparse_error=sparse_error, sparse_intercept=sparse_intercept)


def _on_sparse(named: List[Tuple[str, Any]], parts: Parts, registry: Registry) -> Tuple[Any, Any]:
    """(sparse_error, sparse_intercept) of a pipeline of scalers `named` before a model of `parts`.

    The steps run in order, so the first one that raises on sparse X is the
    error, before any inside the model. The steps that take sparse X only
    scale it, so the model's intercept on sparse X is its own.
    """
    skips = parts.sparse_intercept is not None
    for name, step in named:
        how = scalers.on_sparse(step)
        if how in (scalers.DENSE, scalers.CENTER):
            return SparseError(type(step).__name__, str(registry.at(name).path), how), None
        skips = skips or how == scalers.SKIP
    if parts.sparse_error is not None or not skips:
        return parts.sparse_error, None
    return None, parts.intercept if parts.sparse_intercept is None else parts.sparse_intercept


#: (module, class name) -> converter
CONVERTERS: Table[Converter] = {("sklearn.pipeline", "Pipeline"): _pipeline}
