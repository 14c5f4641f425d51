"""The text steps of a pipeline: CountVectorizer, TfidfVectorizer, HashingVectorizer and TfidfTransformer.

A vectorizer reads one text input, a document per row, and writes one Term
feature per column of its Block (fastscore.convert.features): the
analyzer's settings, its vocabulary or hashing, and the weighings that the
runtime (fastscore.texts) applies in scikit-learn's order. A
TfidfTransformer after it adds one weighing to the Block. Everything in a
vectorizer that runs the user's Python code (a callable analyzer,
preprocessor, tokenizer or strip_accents) is refused by name, as are the
settings under which scikit-learn computes in float32.
"""
from typing import Any, Dict, List

import numpy as np

from fastscore.convert.features import Block, Feature, Raw, Term, refuse, terms
from fastscore.convert.parts import Table
from fastscore.text import DEFAULTS

FE = "sklearn.feature_extraction.text"
VECTORIZERS = ("CountVectorizer", "TfidfVectorizer", "HashingVectorizer")


def reads_documents(step: Any) -> bool:
    """Whether step takes documents (a 1-D sequence of str), not a table: a vectorizer, or a
    Pipeline or FeatureUnion whose first steps are."""
    name = type(step).__name__
    if type(step).__module__.startswith(FE) and name in VECTORIZERS:
        return True
    if name == "Pipeline" and step.steps:
        first = [s for _, s in step.steps if not (s is None or (isinstance(s, str) and s == "passthrough"))]
        return bool(first) and reads_documents(first[0])
    if name == "FeatureUnion":
        parts = [t for _, t in step.transformer_list if not (isinstance(t, str) and t == "drop")]
        return bool(parts) and all(reads_documents(t) for t in parts)
    return False


def _settings(step: Any, path: str) -> Dict[str, Any]:
    """The analyzer's settings (fastscore.text.DEFAULTS' keys) of a fitted vectorizer, or its refusal."""
    for name in ("analyzer", "preprocessor", "tokenizer", "strip_accents"):
        value = getattr(step, name, None)
        if callable(value):
            raise refuse(step, path, f"its {name} is a Python callable "
                                     f"({getattr(value, '__name__', type(value).__name__)}), which a model "
                                     "file cannot hold")
    if step.input != "content":
        raise refuse(step, path, f"input={step.input!r}: fastscore reads the documents themselves "
                                 "(input='content'), not files")
    if not (isinstance(step.ngram_range, tuple) and len(step.ngram_range) == 2 and step.ngram_range[0] >= 1):
        raise refuse(step, path, f"ngram_range={step.ngram_range!r}: fastscore converts 1 <= min_n <= max_n")
    word = step.analyzer == "word"
    stop = step.get_stop_words() if word else None
    settings = {"analyzer": step.analyzer, "lowercase": bool(step.lowercase), "strip_accents": step.strip_accents,
                "token_pattern": step.token_pattern if word and step.token_pattern is not None
                else DEFAULTS["token_pattern"],
                "stop_words": None if stop is None else sorted(stop),
                "ngram_range": list(step.ngram_range), "encoding": step.encoding,
                "decode_error": step.decode_error}
    from fastscore.text import check_settings

    try:
        check_settings(settings)
    except (TypeError, ValueError) as exc:
        raise refuse(step, path, str(exc)) from None
    return settings


def _document_input(step: Any, features: List[Feature], path: str) -> int:
    if len(features) != 1 or not isinstance(features[0], Raw) or features[0].fill is not None:
        raise refuse(step, path, "a vectorizer reads one column of documents as it is: select the column by "
                                 "one name (a string, not a list), with no step before it")
    return features[0].col


def _float64(step: Any, path: str) -> None:
    if np.dtype(step.dtype) != np.float64:
        raise refuse(step, path, f"dtype={np.dtype(step.dtype).name}: scikit-learn then computes its weights in "
                                 "that precision; fastscore converts dtype=float64")


def _count(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
    col = _document_input(step, features, path)
    settings = _settings(step, path)
    dtype = np.dtype(step.dtype)
    tfidf = type(step).__name__ == "TfidfVectorizer"
    if tfidf:
        _float64(step, path)
    elif dtype.kind not in "iu" and dtype != np.float64:
        raise refuse(step, path, f"dtype={dtype.name}: fastscore converts counts of an integer type or float64")
    vocabulary = step.vocabulary_
    words = [""] * len(vocabulary)
    for word, j in vocabulary.items():
        words[j] = word
    weighing = [{"binary": bool(step.binary), "sublinear_tf": False, "idf": None, "norm": None}]
    if tfidf:
        weighing = [_tfidf_weighing(step._tfidf, bool(step.binary))]
    block = Block(col, settings, words, len(words), False, weighing)
    return terms(block)


def _tfidf_weighing(tfidf: Any, binary: bool) -> Dict[str, Any]:
    idf = getattr(tfidf, "idf_", None) if tfidf.use_idf else None
    return {"binary": binary, "sublinear_tf": bool(tfidf.sublinear_tf),
            # an infinite weight (smooth_idf=False, a term in no training document) is written null
            "idf": None if idf is None else [None if x == np.inf else x
                                             for x in np.asarray(idf, dtype=np.float64).tolist()],
            "norm": tfidf.norm}


def _hashing(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
    col = _document_input(step, features, path)
    settings = _settings(step, path)
    _float64(step, path)
    block = Block(col, settings, None, int(step.n_features), bool(step.alternate_sign),
                  [{"binary": bool(step.binary), "sublinear_tf": False, "idf": None, "norm": step.norm}])
    return terms(block)


def _tfidf_transformer(step: Any, features: List[Feature], path: str, ctx: Any) -> List[Feature]:
    block = features[0].block if features and isinstance(features[0], Term) else None
    if block is None or len(features) != block.n_features or \
            any(not isinstance(f, Term) or f.block is not block or f.column != j or f.ops
                for j, f in enumerate(features)):
        raise refuse(step, path, "fastscore converts a TfidfTransformer that reads exactly the columns of one "
                                 "vectorizer, with no step between them")
    weighing = _tfidf_weighing(step, False)
    if weighing["idf"] is not None and len(weighing["idf"]) != block.n_features:
        raise refuse(step, path, f"it has {len(weighing['idf'])} idf weights for {block.n_features} columns")
    if weighing["sublinear_tf"] and block.alternate_sign:
        raise refuse(step, path, "sublinear_tf takes the log of hashed counts, which alternate_sign makes "
                                 "negative or zero (scikit-learn then gives NaN)")
    last = block.weighing[-1]
    if last["norm"] is None and last["idf"] is None and not last["sublinear_tf"]:
        weighing["binary"] = last["binary"]  # binary comes first within one weighing: the same steps
        block.weighing[-1] = weighing
    else:
        block.weighing.append(weighing)
    return terms(block)


#: (module, class name) -> handler
HANDLERS: Table[Any] = {
    (FE, "CountVectorizer"): _count,
    (FE, "TfidfVectorizer"): _count,
    (FE, "HashingVectorizer"): _hashing,
    (FE, "TfidfTransformer"): _tfidf_transformer,
}
