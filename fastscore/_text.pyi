"""Type stubs of the compiled text counter (fastscore/_text.pyx): fastscore.text's Counter and weigh, compiled."""
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

WORD_PATTERNS: Dict[str, int]

class Counter:
    """One vectorizer's analyzer and its feature -> column map (a vocabulary, or hashing), compiled."""

    n_columns: int

    def __init__(self, settings: Mapping[str, Any], terms: Optional[Sequence[str]] = None, *,
                 n_features: Optional[int] = None, alternate_sign: bool = True) -> None: ...
    def count(self, docs: Sequence[Union[str, bytes]]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]: ...
    def count_one(self, doc: Union[str, bytes]) -> Tuple[np.ndarray, np.ndarray]: ...

def weigh(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, *, binary: bool, sublinear_tf: bool,
          idf: Optional[np.ndarray], norm: Optional[str]) -> None: ...
def is_word_character(c: str) -> bool: ...
def is_combining_character(c: str) -> bool: ...
def row_z(indices: np.ndarray, data: np.ndarray, weighing: Sequence[Tuple[bool, bool, Optional[np.ndarray],
                                                                         Optional[str]]],
          coef: np.ndarray, intercept: float) -> float: ...
