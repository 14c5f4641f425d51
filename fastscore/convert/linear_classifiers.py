"""The linear classifiers: converters for scikit-learn's linear classifiers and OneVsRestClassifier.

The link reproduces each estimator's predict_proba: LogisticRegression uses
the logistic for two classes and softmax beyond; SGDClassifier(log_loss)
the normalised one-vs-rest logistic; modified_huber its clipped line;
classifiers without predict_proba get the identity (decision_function only).
"""
from typing import Any

import numpy as np

from fastscore.convert.parts import ConversionError, Converter, Parts, Registry, Table, linear_parts, stacked_sparse
from fastscore.model import class_rows

LM = "sklearn.linear_model"


def classifier_parts(est: Any, link: str) -> Parts:
    """linear_parts for a classifier, checked: one row of coef_ for two classes, else one per class."""
    classes = np.asarray(est.classes_)
    parts = linear_parts(est, "classifier", link, classes)
    if parts.coef.ndim == 1:  # a binary RidgeClassifier's coef_ is 1-D; its scores are flat all the same
        parts = parts._replace(coef=parts.coef[None], intercept=parts.intercept.reshape(1))
    rows = class_rows(len(classes))
    if parts.coef.ndim != 2 or parts.coef.shape[0] != rows or len(classes) < 2:
        raise ConversionError(f"{parts.name} has coef_ of shape {parts.coef.shape} for "
                              f"{len(classes)} classes; fastscore converts single-label classifiers")
    return parts


def _logistic_regression(est: Any, registry: Registry) -> Parts:
    if len(est.classes_) == 2:
        if getattr(est, "multi_class", None) == "multinomial":
            # Before 1.8 scikit-learn's predict_proba was then softmax([-z, z]) =
            # expit(2 z), while decision_function stays z: no link of ours is both.
            raise ConversionError(f"{type(est).__name__} was fitted on two classes with "
                                  "multi_class='multinomial', whose predict_proba (softmax of "
                                  "[-z, z]) fastscore does not reproduce; refit with "
                                  "multi_class='auto' to convert it")
        return classifier_parts(est, "logistic")
    return classifier_parts(est, "ovr" if _fitted_one_vs_rest(est) else "softmax")


def _fitted_one_vs_rest(est: Any) -> bool:
    """Whether a multiclass LogisticRegression(CV) predicts one-vs-rest probabilities.

    scikit-learn before 1.8 did so for multi_class="ovr", and for "auto" with the
    liblinear solver (its predict_proba's own rule); 1.8 removed multi_class and
    is always softmax.
    """
    multi_class = getattr(est, "multi_class", "deprecated")
    return multi_class in ("ovr", "warn") or (multi_class in ("auto", "deprecated")
                                              and getattr(est, "solver", None) == "liblinear")


def _sgd(est: Any, registry: Registry) -> Parts:
    if est.loss in ("log_loss", "log"):  # "log": its name before scikit-learn 1.3
        link = "logistic" if len(est.classes_) == 2 else "ovr"
    else:
        link = "modified_huber" if est.loss == "modified_huber" else "identity"
    return classifier_parts(est, link)


def _decision_only(est: Any, registry: Registry) -> Parts:
    binarizer = getattr(est, "_label_binarizer", None)  # RidgeClassifier keeps y's type here
    if binarizer is not None and binarizer.y_type_.startswith("multilabel"):
        raise ConversionError(f"{type(est).__name__} was fitted on multilabel targets; fastscore "
                              "converts single-label classifiers")
    return classifier_parts(est, "identity")


def _one_vs_rest(ovr: Any, registry: Registry) -> Parts:
    """Stack the binary estimators' rows; their link becomes the normalised one over all classes."""
    if ovr.label_binarizer_.y_type_ not in ("binary", "multiclass"):
        raise ConversionError(f"OneVsRestClassifier was fitted on {ovr.label_binarizer_.y_type_} "
                              "targets; fastscore converts single-label classifiers")
    inner = [registry.convert(e, at="estimator") for e in ovr.estimators_]
    first = inner[0]
    for p in inner:
        if p.kind != "classifier" or p.coef.shape[0] != 1 or p.center is not None or p.post is not None:
            raise ConversionError(f"OneVsRestClassifier over {p.name}: fastscore converts it over "
                                  "binary linear classifiers only")
    if len({p.link for p in inner}) != 1:
        raise ConversionError("OneVsRestClassifier's estimators have different links")
    # Several binary probabilities are normalised together, as sklearn's predict_proba
    # does, leaving rows of all zeros as they are; identity has no probabilities.
    link = first.link
    if len(inner) > 1 and link in ("logistic", "modified_huber"):
        link = {"logistic": "onevsrest", "modified_huber": "onevsrest_modified_huber"}[link]
    error, sparse_intercept = stacked_sparse(inner)
    return first._replace(name=f"OneVsRestClassifier({first.name})", link=link,
                          coef=np.vstack([p.coef for p in inner]),
                          intercept=np.concatenate([p.intercept for p in inner]),
                          classes=np.asarray(ovr.classes_), sparse_error=error, sparse_intercept=sparse_intercept)


#: (module, class name) -> converter
CONVERTERS: Table[Converter] = {
    (LM, "LogisticRegression"): _logistic_regression,
    (LM, "LogisticRegressionCV"): _logistic_regression,
    (LM, "SGDClassifier"): _sgd,
    (LM, "RidgeClassifier"): _decision_only,
    (LM, "RidgeClassifierCV"): _decision_only,
    (LM, "Perceptron"): _decision_only,
    (LM, "PassiveAggressiveClassifier"): _decision_only,
    ("sklearn.svm", "LinearSVC"): _decision_only,
    ("sklearn.multiclass", "OneVsRestClassifier"): _one_vs_rest,
}
