"""The structure of a preprocessing pipeline: Pipeline steps, ColumnTransformer, FeatureUnion.

convert_pipeline walks a fitted Pipeline's steps before its model with the
symbolic features of fastscore.convert.features, one per column, starting
from the raw inputs. The structural steps here route features (a
ColumnTransformer's branches read the input columns it selected at fit
time, from its fitted _transformer_to_input_indices, whatever selected
them: names, positions, masks, make_column_selector); the column-wise steps
of fastscore.convert.encoders transform them. Then the model's
coefficients are folded in (features.assemble).

Every refusal names the step's class and its path in the pipeline, the
names of the steps down to it: ``columntransformer/num/functiontransformer``.
"""
import functools
from typing import Any, Dict, List, NamedTuple

import numpy as np

from fastscore.convert import on_sparse
from fastscore.convert.features import Cat, Feature, Raw, Term, as_num, assemble, refuse
from fastscore.convert.parts import ConversionError, Parts, Registry, check_fitted, resolve


class Context(NamedTuple):
    """What the walk carries beside the features: the registry, and guards.

    A guard is a Cat that feeds no model column but whose errors hold (a
    MissingIndicator raising for missing values in a column it did not
    fit on).
    """

    registry: Registry
    guards: List[Cat]


@functools.lru_cache(maxsize=1)
def handlers() -> Dict[type, Any]:
    """The handlers of every step this walk converts, by exact class."""
    from fastscore.convert import encoders, text

    table = dict(resolve(encoders.HANDLERS))
    table.update(resolve(text.HANDLERS))
    table.update(resolve(STRUCTURE))
    return table


#: The steps that may read a text vectorizer's columns (Term features), besides those that route them.
TERM_READERS = ("TfidfTransformer", "StandardScaler", "MaxAbsScaler", "RobustScaler")


def apply(step: Any, features: List[Feature], path: str, ctx: Context) -> List[Feature]:
    """The features step writes, from those it reads; ConversionError naming step and path if it cannot be converted."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return list(features)
    handler = handlers().get(type(step))
    if handler is None:
        from fastscore.convert import encoders

        reason = resolve(encoders.REFUSED).get(type(step))
        if reason is not None:
            raise refuse(step, path, reason)
        raise refuse(step, path, f"fastscore cannot fold {type(step).__name__} into the features of a model: "
                     "the steps before a model may be "
                     + ", ".join(sorted(cls.__name__ for cls in handlers())))
    try:
        check_fitted(step)
    except ConversionError as exc:
        raise refuse(step, path, str(exc)) from None
    if type(step).__name__ not in TERM_READERS and type(step) not in resolve(STRUCTURE).values() and \
            any(isinstance(f, Term) for f in features):
        raise refuse(step, path, "it reads the columns of a text vectorizer; fastscore passes them only to "
                                 f"{', '.join(TERM_READERS)} and the model")
    n_in = getattr(step, "n_features_in_", None)
    if n_in is not None and n_in != len(features):
        raise refuse(step, path, f"it was fitted on {n_in} columns but receives {len(features)}")
    return handler(step, features, path, ctx)


def _pipeline(pipe: Any, features: List[Feature], path: str, ctx: Context) -> List[Feature]:
    for name, step in pipe.steps:
        features = apply(step, features, f"{path}/{name}", ctx)
    return features


def _weighted(features: List[Feature], weight: Any) -> List[Feature]:
    """Features times a transformer weight, as scikit-learn multiplies its output."""
    if weight is None:
        return features
    w = float(weight)
    out: List[Feature] = []
    for f in features:
        if isinstance(f, Cat):
            out.append(f._replace(values=np.asarray(f.values) * w))  # float32 stays float32, as in scikit-learn
        elif isinstance(f, Term):
            out.append(f._replace(ops=f.ops + (("mul", w),)))
        else:
            n = as_num(f, "a transformer weight", "")
            out.append(n._replace(ops=n.ops + (("mul", w),)))
    return out


def _column_transformer(ct: Any, features: List[Feature], path: str, ctx: Context) -> List[Feature]:
    weights = ct.transformer_weights or {}
    pieces: List[Any] = []
    from fastscore.convert.text import reads_documents

    for name, trans, selected in ct.transformers_:
        indices = list(ct._transformer_to_input_indices.get(name, []))
        if (isinstance(trans, str) and trans == "drop") or not indices:
            continue
        if reads_documents(trans) and not isinstance(selected, (str, int)):
            raise refuse(trans, f"{path}/{name}", f"it reads documents, but the ColumnTransformer selects "
                                                  f"{selected!r}, a table: select the text column by one name "
                                                  "(a string, not a list)")
        out = apply(trans, [features[i] for i in indices], f"{path}/{name}", ctx)
        where = ct.output_indices_[name]
        if where.stop - where.start != len(out):
            raise refuse(trans, f"{path}/{name}", f"fastscore finds {len(out)} output columns where "
                                                  f"scikit-learn has {where.stop - where.start}")
        pieces.append((where.start, _weighted(out, weights.get(name))))
    return [f for _, out in sorted(pieces, key=lambda p: p[0]) for f in out]


def _feature_union(union: Any, features: List[Feature], path: str, ctx: Context) -> List[Feature]:
    weights = union.transformer_weights or {}
    out: List[Feature] = []
    for name, trans in union.transformer_list:
        if isinstance(trans, str) and trans == "drop":
            continue
        out.extend(_weighted(apply(trans, list(features), f"{path}/{name}", ctx), weights.get(name)))
    return out


#: (module, class name) -> handler of the steps that route features
STRUCTURE = {
    ("sklearn.pipeline", "Pipeline"): _pipeline,
    ("sklearn.pipeline", "FeatureUnion"): _feature_union,
    ("sklearn.compose", "ColumnTransformer"): _column_transformer,
}


def convert_pipeline(pipe: Any, registry: Registry) -> Parts:
    """Parts of a Pipeline whose steps before the model are any steps this walk converts.

    The model reads the pipeline's raw input columns (named when it was
    fitted on a DataFrame); its Parts carry the input stage in ``front``,
    and what the steps do to sparse X (fastscore.convert.on_sparse): the
    error of the first that refuses it, or whether it is scored as
    X.toarray(), which only inputs read as numbers can be.
    """
    prefix = f"{registry.path}/" if registry.path else ""
    steps = _named_steps(pipe, "")
    if not steps:
        raise ConversionError("Pipeline has no steps")
    *pre, (model_path, model) = steps
    from fastscore.convert.text import reads_documents

    n_inputs = getattr(pipe, "n_features_in_", None)
    names = getattr(pipe, "feature_names_in_", None)
    if pre and reads_documents(pre[0][1]):  # the documents themselves: one unnamed text input
        n_inputs, names = 1, None
    if n_inputs is None:
        raise ConversionError("Pipeline is not fitted yet: call fit(X, y) before converting it")
    ctx = Context(registry, [])
    features: List[Feature] = [Raw(i) for i in range(n_inputs)]
    for path, step in pre:
        features = apply(step, features, prefix + path, ctx)
    parts = registry.convert(model, at=model_path)
    coef = parts.coef.reshape(-1, parts.coef.shape[-1])
    if coef.shape[1] != len(features):
        raise refuse(model, prefix + model_path, f"it has {coef.shape[1]} coefficients for the "
                                                 f"{len(features)} features that fastscore finds before it")
    intercept = parts.intercept.reshape(-1)
    if parts.center is not None:
        raise refuse(model, prefix + model_path, "it centres its input itself")
    done = assemble([*features, *ctx.guards], np.hstack([coef, np.zeros((coef.shape[0], len(ctx.guards)))]),
                    intercept, n_inputs, None if names is None else [str(n) for n in names], model_path)
    flat = parts.coef.ndim == 1
    names_ = [type(s).__name__ for _, s in pre] + [parts.name]
    error, densify = on_sparse.flow([(prefix + path, step) for path, step in pre], parts)
    return parts._replace(name=f"Pipeline({', '.join(names_)})",
                          coef=done.coef.reshape(-1) if flat else done.coef,
                          intercept=done.intercept.reshape(parts.intercept.shape), center=done.center,
                          front=done.front, sparse_error=error, sparse_intercept=None,
                          sparse_densify=densify and all(x["type"] == "number" for x in done.front["inputs"]))


def _named_steps(pipe: Any, prefix: str) -> List[Any]:
    """(path, step) of the pipeline's steps, the model's enclosing pipelines expanded, passthrough dropped."""
    from sklearn.pipeline import Pipeline

    out = []
    for i, (name, step) in enumerate(pipe.steps):
        path = f"{prefix}{name}"
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if type(step) is Pipeline and i == len(pipe.steps) - 1:
            out.extend(_named_steps(step, path + "/"))
        else:
            out.append((path, step))
    return out
