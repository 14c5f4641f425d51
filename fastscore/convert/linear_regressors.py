"""The linear regressors: converters for scikit-learn's linear regressors, GLMs and RANSACRegressor.

Every one predicts X @ coef_.T + intercept_ (flat when coef_ is 1-D, one
column per target otherwise); GLMs then apply their inverse link, which
fastscore reads from the fitted loss rather than re-deriving it from
TweedieRegressor's power and link parameters.
"""
from typing import Any

from fastscore.convert.parts import ConversionError, Converter, Parts, Registry, Table, linear_parts

LM = "sklearn.linear_model"


def _linear(est: Any, registry: Registry) -> Parts:
    return linear_parts(est, "regressor", "identity")


def _glm(est: Any, registry: Registry) -> Parts:
    from sklearn._loss.link import IdentityLink, LogLink

    inverse = {IdentityLink: "identity", LogLink: "exp"}.get(type(est._base_loss.link))
    if inverse is None:
        raise ConversionError(f"{type(est).__name__} has link {type(est._base_loss.link).__name__}; "
                              "fastscore converts the identity and log links")
    return linear_parts(est, "regressor", inverse)


def _ransac(est: Any, registry: Registry) -> Parts:
    """RANSAC predicts with its final estimator, refitted on the inliers."""
    parts = registry.convert(est.estimator_, at="estimator")
    if parts.kind != "regressor":
        raise ConversionError(f"RANSACRegressor over {parts.name}: fastscore converts it over regressors")
    return parts._replace(name=f"RANSACRegressor({parts.name})")


_LINEAR = ["LinearRegression", "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV",
           "Lars", "LarsCV", "LassoLars", "LassoLarsCV", "LassoLarsIC", "OrthogonalMatchingPursuit",
           "OrthogonalMatchingPursuitCV", "BayesianRidge", "ARDRegression", "HuberRegressor",
           "QuantileRegressor", "SGDRegressor", "TheilSenRegressor", "PassiveAggressiveRegressor",
           "MultiTaskLasso", "MultiTaskLassoCV", "MultiTaskElasticNet", "MultiTaskElasticNetCV"]

#: (module, class name) -> converter
CONVERTERS: Table[Converter] = {
    **{(LM, name): _linear for name in _LINEAR},
    ("sklearn.svm", "LinearSVR"): _linear,
    (LM, "PoissonRegressor"): _glm,
    (LM, "GammaRegressor"): _glm,
    (LM, "TweedieRegressor"): _glm,
    (LM, "RANSACRegressor"): _ransac,
}
