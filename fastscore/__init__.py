"""fastscore: score fitted scikit-learn linear models with numpy and a small C kernel.

Convert once, where scikit-learn is installed::

    model = fastscore.from_sklearn(fitted_estimator)
    model.save("model.json")

then score anywhere, with numpy alone::

    model = fastscore.load("model.json")
    model.predict_proba(X); model.score(X); model.score_one([0.3, 1.2])

Models are values: ``model.dumps()`` and ``fastscore.loads(text)`` give and read
the file's text, ``==`` compares fields, and pickle, copy and deepcopy work.

``fastscore.backend`` says whether the compiled kernel ("compiled") or the
pure-numpy mirror ("pure") is in use; FASTSCORE_PURE=1 forces the mirror.
"""
from fastscore._backend import name as backend
from fastscore._include import get_include
from fastscore.convert import ConversionError, from_sklearn
from fastscore.model import Classifier, LinearModel, Regressor, load, loads
from fastscore.modelfile import ModelFormatError

__version__ = "0.1.0"

__all__ = ["backend", "from_sklearn", "load", "loads", "LinearModel", "Classifier", "Regressor",
           "ConversionError", "ModelFormatError", "get_include", "__version__"]
