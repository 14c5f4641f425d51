"""Which input columns are scored and which are kept (--columns, --keep), by name or position."""
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from fastscore.tabular.formats import InputError


def select_columns(available: Iterable[str], n_features: int, feature_names: Optional[Sequence] = None,
                   columns: Optional[Sequence[str]] = None, named: bool = True,
                   path: str = "", optional: Sequence[str] = ()) -> Tuple[List[int], List[str]]:
    """(indices, names) of the input columns to score, in the model's feature order.

    `available` yields the input's column names, once (a .npy file's are "0", "1",
    ...; named=False says they are positions, not names): only the names asked for
    are kept, however wide the input. Where the model has feature names and the input
    names its columns, they are matched by name (extra columns ignored), and --columns
    (`columns`), if given, must name exactly the model's features, in any order. Otherwise
    --columns picks columns in feature order, or they are taken by position and their
    number must match. `optional` are feature names that the model does not read (columns
    a ColumnTransformer drops): matched by name, they may be absent and are not selected.
    """
    if feature_names is not None and named:
        wanted = [str(n) for n in feature_names]
        if columns is not None:
            _check_named_columns(list(columns), wanted, optional)
        wanted = [n for n in wanted if n not in optional]
    elif columns is not None:
        if len(columns) != n_features:
            raise InputError(f"--columns lists {len(columns)} column(s), but the model has "
                             f"{n_features} feature(s)")
        wanted = list(columns)
    else:
        wanted = None
    want = set(wanted or ())
    index: Dict[str, int] = {}
    duplicated, first, count = set(), [], 0
    for name in available:
        if count < n_features:
            first.append(name)
        if name in want:
            if name in index:
                duplicated.add(name)
            index.setdefault(name, count)
        count += 1
    if wanted is None:
        if count != n_features:
            why = ("the model has no feature names, so columns are matched by position"
                   if feature_names is None else "a .npy file's columns are matched by position")
            raise InputError(f"{path}: has {count} column(s), but the model expects "
                             f"{n_features} ({why}; --columns picks them)")
        return list(range(n_features)), first
    missing = [c for c in wanted if c not in index]
    if missing:
        shown = ", ".join(map(repr, missing[:10])) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        kind = "column position(s)" if not named else "column(s)"
        raise InputError(f"{path}: missing {kind} {shown} that the model needs")
    ambiguous = [c for c in wanted if c in duplicated]
    if ambiguous:
        raise InputError(f"{path}: column(s) {', '.join(map(repr, ambiguous))} appear more than once")
    return [index[c] for c in wanted], wanted


def _check_named_columns(columns: List[str], names: List[str], optional: Sequence[str] = ()) -> None:
    """Refuse a --columns list that is not exactly the model's feature names (those in
    `optional` may be left out): the model reads columns by name, so any other list would
    pair a feature with the wrong column."""
    absent = [n for n in names if n not in columns and n not in optional]
    if set(columns) <= set(names) and not absent and len(set(columns)) == len(columns):
        return
    problems = []
    unknown = [c for c in columns if c not in names]
    if unknown:
        problems.append(f"{', '.join(map(repr, unknown[:10]))} not among them")
    if absent:
        problems.append(f"{', '.join(map(repr, absent[:10]))} missing")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(f"{', '.join(map(repr, repeated[:10]))} repeated")
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    raise InputError(f"--columns must name exactly the model's features, in any order (it matches "
                     f"columns by name): {shown}; {'; '.join(problems)}")


def kept_columns(available: Iterable[str], keep: Sequence[str], named: bool = True,
                 path: str = "") -> List[int]:
    """The indices of the columns `keep` names (--keep), in its order: by name, or for a .npy
    file (named=False) by position ("0", "1", ...). A name missing from `available` or in it
    twice is an InputError naming it."""
    if not keep:
        return []
    want, duplicated = set(keep), set()
    index: Dict[str, int] = {}
    for i, name in enumerate(available):
        if name in want:
            if name in index:
                duplicated.add(name)
            index.setdefault(name, i)
    missing = [c for c in keep if c not in index]
    if missing:
        listed = ", ".join(map(repr, missing[:10])) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        if named:
            raise InputError(f"{path}: no column(s) {listed} to --keep")
        raise InputError(f"{path}: no column position(s) {listed} to --keep "
                         "(a .npy file's columns are kept by 0-based position)")
    ambiguous = [c for c in keep if c in duplicated]
    if ambiguous:
        raise InputError(f"{path}: column(s) {', '.join(map(repr, ambiguous))} appear more than once, "
                         "so --keep cannot tell which to copy")
    return [index[c] for c in keep]
