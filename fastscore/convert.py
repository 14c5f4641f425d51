"""Convert fitted scikit-learn estimators into fastscore models.

The only module that touches scikit-learn, and only when from_sklearn is
called: importing fastscore never imports it. Each supported estimator class
maps to a function that reads its fitted attributes into model fields.
"""
import numpy as np

from fastscore.model import Classifier


class ConversionError(ValueError):
    """The estimator cannot be converted: unsupported, unfitted, or not finite."""


def _logistic_regression(est):
    n_classes = len(est.classes_)
    link = "logistic" if n_classes == 2 else "softmax"
    return Classifier, dict(link=link, coef=est.coef_, intercept=est.intercept_,
                            classes=est.classes_)


def _converters():
    from sklearn import linear_model as lm

    return {
        lm.LogisticRegression: _logistic_regression,
    }


def supported():
    """Names of the scikit-learn estimators that from_sklearn converts."""
    return sorted(cls.__name__ for cls in _converters())


def from_sklearn(estimator):
    """Convert a fitted scikit-learn linear model into a fastscore model.

    Raises ConversionError, naming the estimator, when it is not supported
    (the message lists what is) or not fitted yet. Subclasses of supported
    estimators are refused too: they may change how predictions are made.
    """
    import sklearn
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    converters = _converters()
    cls = type(estimator)
    name = cls.__name__
    if cls not in converters:
        raise ConversionError(f"fastscore cannot convert {name}: it converts exactly these "
                              f"scikit-learn estimators: {', '.join(supported())}")
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        raise ConversionError(f"{name} is not fitted yet: call fit(X, y) before converting it") from None
    model_cls, fields = converters[cls](estimator)
    coef = np.asarray(fields["coef"], dtype=np.float64)
    intercept = np.asarray(fields["intercept"], dtype=np.float64)
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ConversionError(f"{name} has NaN or infinite coefficients (did fitting diverge?)")
    names = getattr(estimator, "feature_names_in_", None)
    return model_cls(estimator=name, n_features=estimator.n_features_in_,
                     feature_names=None if names is None else [str(n) for n in names],
                     sklearn_version=sklearn.__version__, **fields)
