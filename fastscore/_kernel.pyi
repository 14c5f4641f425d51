"""Type stub of the compiled backend (fastscore/_kernel.pyx); its Kernel keeps fastscore._backend.Kernel."""
from typing import Any, Callable, ClassVar, List, Optional, Sequence, Tuple, Union

import numpy as np

BLOCK_ROWS: int
PARALLEL_MIN: int
LINK_COUNT: int
ISAS: Tuple[str, ...]

def isa() -> str: ...
def available_isas() -> List[str]: ...
def select_isa(name: str) -> None: ...
def max_threads() -> int: ...
def murmurhash3_32_many(keys: Sequence[Union[str, bytes]]) -> np.ndarray: ...
def hash_columns(hashes: Any, n_features: int) -> np.ndarray: ...

class Kernel:
    name: ClassVar[str]
    coef: np.ndarray
    intercept: np.ndarray
    center: Optional[np.ndarray]
    fill: Optional[np.ndarray]
    tables: Tuple[np.ndarray, ...]
    n_outputs: int
    n_features: int

    def __init__(self, coef: Any, intercept: Any, center: Any = None, *, fill: Any = None,
                 tables: Sequence[Any] = ()) -> None: ...
    def score(self, X: Any, link: int, out: Optional[np.ndarray] = None, *, layout: int = ...,
              n_threads: int = 0, convert: Optional[Callable[[Any], np.ndarray]] = None) -> np.ndarray: ...
    def score_columns(self, columns: Sequence[np.ndarray], link: int, out: Optional[np.ndarray] = None, *,
                      layout: int = ..., n_threads: int = 0, codes: Sequence[np.ndarray] = ()) -> np.ndarray: ...
    def score_sparse(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n_rows: int, link: int,
                     out: Optional[np.ndarray] = None, *, layout: int = ..., n_threads: int = 0,
                     csc: bool = False) -> np.ndarray: ...
    def score_one(self, row: Any, link: int) -> Union[float, Tuple[float, ...]]: ...
