"""Fitted linear models, ready to score: z = X @ coef.T + intercept, then a link.

A model holds nothing but numbers (the fields of the model file) and a kernel
from the backend chosen at import. Converting from scikit-learn lives in
fastscore.convert, reading and writing files in fastscore.modelfile.
"""
import numpy as np

from fastscore import _backend, _checks
from fastscore.links import BY_NAME, FOR_KIND

# Kernel.fast_score's result shapes: (n,), (n, k), and binary (n, 2) = (1 - p, p).
_FLAT, _MATRIX, _BINARY_PROBA = 0, 1, 2

#: the links each kind of model may have, by name (fastscore.links.FOR_KIND)
LINKS = FOR_KIND


def class_rows(n_classes):
    """Rows of coefficients a classifier of n_classes has: one for two classes, else one per class."""
    return 1 if n_classes == 2 else n_classes


def classifier_link_problem(link, n_rows):
    """Why a classifier with n_rows rows of coef cannot have the link named `link`, or None if it can."""
    return BY_NAME[link].rows_problem(n_rows)


class LinearModel:
    """Common base of Classifier and Regressor: the parameters, the kernel and score()."""

    def __init__(self, *, estimator, link, coef, intercept, n_features, classes=None,
                 feature_names=None, center=None, sklearn_version=None):
        self.estimator = str(estimator)
        kind = "classifier" if isinstance(self, Classifier) else "regressor"
        if link not in LINKS[kind]:
            raise ValueError(f"a {kind} has no link {link!r}: it has one of {', '.join(LINKS[kind])}")
        self.link = link
        self._link_code = BY_NAME[link].code
        self.coef_ = _frozen(np.array(coef, dtype=np.float64))
        self.intercept_ = _frozen(np.array(intercept, dtype=np.float64))
        self.n_features_in_ = int(n_features)
        self._feature_names = None if feature_names is None else _frozen(np.array(feature_names, dtype=object))
        self.center = None if center is None else _frozen(np.array(center, dtype=np.float64))
        self.sklearn_version = sklearn_version
        coef2d = self.coef_.reshape(-1, self.n_features_in_)
        self._kernel = _backend.impl.Kernel(coef2d, self.intercept_.reshape(-1), self.center)
        self._n_outputs = coef2d.shape[0]
        if (classes is None) != (kind == "regressor"):
            raise ValueError("a classifier needs classes and a regressor has none")
        if classes is not None:
            self.classes_ = _frozen(np.array(classes))
            if self.classes_.ndim != 1 or len(self.classes_) < 2 or \
                    self._n_outputs != class_rows(len(self.classes_)):
                raise ValueError(f"coef has {self._n_outputs} row(s) for classes of shape {self.classes_.shape}: "
                                 "a classifier has at least 2 classes, and one row for 2 classes, else one per class")
            problem = classifier_link_problem(link, self._n_outputs)
            if problem:
                raise ValueError(problem)
        # The latency path skips one Python frame: the instance attribute is the
        # kernel's own method, bound to this model's link.
        self._score_one = self._kernel.score_one

    @property
    def feature_names_in_(self):
        """Names of the features seen at fit time (only when the estimator had them)."""
        if self._feature_names is None:
            raise AttributeError(f"{self.estimator} was fitted without feature names")
        return self._feature_names

    @property
    def backend(self):
        """The backend this model scores with: "compiled" or "pure"."""
        return "compiled" if type(self._kernel).__module__ == _backend.MODULES["compiled"] else "pure"

    def _flat(self):
        raise NotImplementedError

    def _run(self, X, link_code, out, flat, n_threads=0):
        if out is None:
            # The latency path: arrays already in the kernel's layout skip
            # everything below (None means "not such an array").
            fast = self._kernel.fast_score(X, link_code, _FLAT if flat else _MATRIX, n_threads)
            if fast is not None:
                return fast
        X = self._matrix(X)
        shape = _checks.out_shape(X.shape[0], self._n_outputs, flat)
        if out is None:
            out = np.empty(shape)
        else:
            _checks.check_out(out, shape)
        return self._kernel.score(X, link_code, out, n_threads)

    def _matrix(self, X):
        columns = getattr(X, "columns", None)
        if columns is not None and self._feature_names is not None:
            _check_columns([str(c) for c in columns], list(self._feature_names))
        return _checks.as_matrix(X, self.n_features_in_)

    def score(self, X, out=None, n_threads=None):
        """The model's main output for each row of X, on the fast path.

        Classifiers with probabilities give the positive-class probability,
        shape (n,), when binary and the class probabilities, shape (n, k),
        otherwise; regressors give their predictions. The compiled backend
        allocates nothing but the result, and nothing at all when `out`
        (float64, C-contiguous, the result's shape) is given; the pure mirror's
        numpy makes temporaries of X's size for float32 input and centred
        models, and of the result's for multiclass links. n_threads caps the kernel's threads
        (None or 0: its default); results do not depend on it.
        """
        return self._run(X, self._link_code, out, self._flat(), _checks.thread_count(n_threads))

    def score_one(self, row):
        """score() for a single row given as a list, a tuple or a 1-D array.

        Returns a float (a tuple of floats for models with several outputs).
        This is the latency path for request handlers: a list or tuple of
        numbers never touches numpy.
        """
        return self._score_one(row, self._link_code)

    def save(self, path):
        """Write the model to `path` as a fastscore JSON model file (see docs/FORMAT.md)."""
        from fastscore import modelfile

        modelfile.save(self, path)

    def __repr__(self):
        return (f"<fastscore.{type(self).__name__} from {self.estimator}: "
                f"{self.n_features_in_} features, link {self.link}, backend {self.backend}>")


class Classifier(LinearModel):
    """A linear classifier: decision_function, predict, and predict_proba where defined."""

    def _flat(self):
        return self._n_outputs == 1

    @property
    def has_proba(self):
        """True when the model defines class probabilities (its link is not identity)."""
        return self.link != "identity"

    def decision_function(self, X):
        """Raw scores z: shape (n,) for binary models, (n, n_classes) otherwise."""
        return self._run(X, _IDENTITY, None, self._flat())

    def predict_proba(self, X):
        """Class probabilities, shape (n, n_classes), columns in the order of classes_."""
        if self._link_code == _IDENTITY:
            raise AttributeError(f"{self.estimator} has no predict_proba")
        if self._n_outputs == 1:
            fast = self._kernel.fast_score(X, self._link_code, _BINARY_PROBA, 0)
            if fast is not None:
                return fast
        p = self.score(X)
        if p.ndim == 2:
            return p
        proba = np.empty((p.shape[0], 2))
        proba[:, 1] = p
        np.subtract(1.0, p, out=proba[:, 0])
        return proba

    def predict_log_proba(self, X):
        """log(predict_proba(X)), computed from z so that nothing underflows.

        It is finite wherever the exact log-probability is (-inf only for the
        true zeros of modified_huber), and stays exact where predict_proba
        rounds to 0 or 1 (beyond |z| of about 37 for the logistic).
        """
        if not self.has_proba:
            raise AttributeError(f"{self.estimator} has no predict_log_proba")
        z = self.decision_function(X)
        return BY_NAME[self.link].log(z.reshape(z.shape[0], -1))

    def predict(self, X):
        """Predicted class labels, taken from classes_."""
        z = self.decision_function(X)
        index = (z > 0).astype(np.intp) if z.ndim == 1 else z.argmax(axis=1)
        return self.classes_.take(index)


class Regressor(LinearModel):
    """A linear regressor (or GLM): predict applies the inverse link to z."""

    def _flat(self):
        return self.coef_.ndim == 1

    def predict(self, X):
        """Predictions: shape (n,) for one target, (n, n_targets) otherwise."""
        return self.score(X)


_IDENTITY = BY_NAME["identity"].code


def _frozen(a):
    a.flags.writeable = False
    return a


def _check_columns(got, expected):
    if got == expected:
        return
    missing = [c for c in expected if c not in got]
    extra = [c for c in got if c not in expected]
    detail = []
    if missing:
        detail.append(f"missing {missing}")
    if extra:
        detail.append(f"unexpected {extra}")
    raise ValueError("X's columns do not match the feature names the model was fitted with: "
                     + ("; ".join(detail) if detail else "same names in a different order"))
