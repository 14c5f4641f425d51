"""Text pipelines: TfidfVectorizer + LogisticRegression over 200,000 terms, fastscore against scikit-learn.

    python benchmarks/bench_text.py [--docs N] [--rounds N] [--train N]

The corpus is synthetic: words drawn from a pool of 400,000 (Latin letters
with accents, some capitalised, some with a trailing comma) by a Zipf-like
law, about 50 words a document. A TfidfVectorizer(max_features=200_000)
and a LogisticRegression are fitted on --train documents (60,000); the model is
converted once (fastscore.from_sklearn) and every fastscore result is
checked against scikit-learn (1e-12) before it is timed. Measured:

- one document (~20 words): fastscore's score_one(doc) against
  scikit-learn's pipeline predict_proba([doc]) (target: at least 100x);
- --docs documents (100,000 by default, ~50 words): fastscore's
  predict_proba(docs) against the pipeline's (target: at least 3x), and the
  peak memory of one call of each (tracemalloc) beside the result's size;
- a CSR batch (the vectorizer's output for 1,000 and --docs documents):
  fastscore's predict_proba on the matrix against the LogisticRegression's
  (target: no slower);
- loading the 200,000-term model file (fastscore.load, each backend)
  beside unpickling the scikit-learn pipeline.

Where onnxruntime and skl2onnx are installed (the bench extra), onnxruntime
on skl2onnx's conversion of the pipeline is timed beside them, on one
document and on the batch (ONNX_CHUNK documents a run: its TfIdfVectorizer's
output is dense), with its largest difference from scikit-learn's
probabilities (not checked: its tokenizer is RE2's, whose \\w is ASCII; it
computes in float32; its lowercasing takes the locale C.UTF-8 given here).

Contenders take their rounds in turn (bench_frames.interleaved); a ratio
is the median over rounds of the two contenders' times in the same round
(bench_frames.paired_ratio). Prints one markdown table; asserts nothing but
agreement with scikit-learn.
"""
import argparse
import os
import pickle
import tempfile
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import fastscore
from bench_frames import backends, interleaved, median, paired_ratio  # this directory: run as a script
from bench_sparse import peak_bytes

POOL = 400_000
TERMS = 200_000
LETTERS = list("abcdefghijklmnopqrstuvwxyz") * 3 + list("éèàüößçñøå")


def word_pool(rng):
    """POOL distinct words of 3 to 9 letters; one in ten capitalised, one in twenty with a comma."""
    lengths = rng.integers(3, 10, POOL * 2)
    letters = rng.choice(LETTERS, (POOL * 2, 9))
    words = list(dict.fromkeys("".join(row[:k]) for row, k in zip(letters, lengths)))[:POOL]
    words = np.array(words, dtype=object)
    caps = rng.random(POOL) < 0.1
    words[caps] = [w.capitalize() for w in words[caps]]
    commas = rng.random(POOL) < 0.05
    words[commas] = [w + "," for w in words[commas]]
    return words


def documents(words, n, per_doc, rng):
    """n documents of per_doc words each (give or take 20%), ranks drawn with p(r) ~ 1 / (r + 10)."""
    p = 1.0 / (np.arange(POOL) + 10.0)
    cdf = np.cumsum(p / p.sum())
    lengths = rng.integers(int(per_doc * 0.8), int(per_doc * 1.2) + 1, n)
    ranks = np.minimum(np.searchsorted(cdf, rng.random(lengths.sum())), POOL - 1)
    tokens = words[ranks]
    ends = np.cumsum(lengths)
    return [" ".join(tokens[e - k:e]) for e, k in zip(ends, lengths)]


def onnx_session(pipe):
    """onnxruntime on skl2onnx's conversion of pipe (one string input, (n, 1)), or None where not installed."""
    try:
        import onnxruntime as ort
        from skl2onnx import to_onnx
        from skl2onnx.common.data_types import StringTensorType
    except ImportError:
        print("onnxruntime or skl2onnx is not installed: no onnxruntime contender")
        return None
    start = time.perf_counter()
    onx = to_onnx(pipe, initial_types=[("X", StringTensorType([None, 1]))],
                  options={id(pipe[-1]): {"zipmap": False},
                           id(pipe[0]): {"locale": "C.UTF-8", "tokenexp": r"\b\w\w+\b"}})
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"])
    print(f"onnxruntime {ort.__version__}: converted by skl2onnx in {time.perf_counter() - start:.1f}s, 1 thread")
    return session


# onnxruntime's TfIdfVectorizer gives a dense (n, n_terms) float32 output: 100,000 x 200,000 would be 80 GB.
ONNX_CHUNK = 256


def onnx_run(session, docs):
    """onnxruntime's probabilities of docs, ONNX_CHUNK documents per run."""
    return np.concatenate([session.run(["probabilities"],
                                       {"X": np.array(docs[i:i + ONNX_CHUNK], dtype=object).reshape(-1, 1)})[0]
                           for i in range(0, len(docs), ONNX_CHUNK)])


def check(ours, theirs, name):
    err = float(np.abs(np.asarray(ours) - np.asarray(theirs)).max())
    assert err <= 1e-12, f"{name}: |diff| {err:.3e}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--train", type=int, default=60_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    words = word_pool(rng)
    train = documents(words, args.train, 50, rng)
    y = rng.integers(0, 2, len(train))
    start = time.perf_counter()
    pipe = make_pipeline(TfidfVectorizer(max_features=TERMS), LogisticRegression(max_iter=200)).fit(train, y)
    vec, lr = pipe[0], pipe[-1]
    print(f"fitted {len(vec.vocabulary_):,} terms on {len(train):,} documents in {time.perf_counter() - start:.1f}s")
    start = time.perf_counter()
    converted = fastscore.from_sklearn(pipe)
    print(f"converted in {time.perf_counter() - start:.2f}s")
    names = backends()
    models = {b: fastscore.loads(converted.dumps(), backend=b) for b in names}
    session = onnx_session(pipe)
    onnx_diffs = []
    rows = []  # (measure, contender, seconds per call, peak bytes or None, result bytes or None)
    ratios = []  # (target, ratio theirs / ours, limit)

    # one document
    one = documents(words, 1, 20, rng)[0]
    want = pipe.predict_proba([one])[0, 1]
    fns = {"scikit-learn predict_proba([doc])": lambda: pipe.predict_proba([one])}
    for b, m in models.items():
        check(m.score_one(one), want, f"score_one {b}")
        fns[f"fastscore {b} score_one(doc)"] = lambda m=m: m.score_one(one)
    if session is not None:
        fns["onnxruntime run([[doc]])"] = lambda: onnx_run(session, [one])
    t = interleaved(fns, args.rounds)
    rows += [("one document (~20 words)", k, median(v), None, None) for k, v in t.items()]
    ratios.append(("one document: score_one vs predict_proba([doc])",
                   1 / paired_ratio(t[f"fastscore {names[0]} score_one(doc)"], t["scikit-learn predict_proba([doc])"]),
                   100.0))

    # a batch of documents
    docs = documents(words, args.docs, 50, rng)
    want = pipe.predict_proba(docs)
    fns = {"scikit-learn pipeline predict_proba": lambda: pipe.predict_proba(docs)}
    for b, m in models.items():
        check(m.predict_proba(docs), want, f"predict_proba {b}")
        fns[f"fastscore {b} predict_proba"] = lambda m=m: m.predict_proba(docs)
    if session is not None:
        onnx_diffs.append(float(np.abs(onnx_run(session, docs) - want).max()))
        fns[f"onnxruntime run ({ONNX_CHUNK} documents a run)"] = lambda: onnx_run(session, docs)
    t = interleaved(fns, args.rounds, min_round_seconds=0.0)
    # tracemalloc sees what Python and numpy allocate, not onnxruntime's own allocator
    rows += [(f"{args.docs:,} documents (~50 words)", k, median(v),
              None if k.startswith("onnxruntime") else peak_bytes(fns[k]), want.nbytes) for k, v in t.items()]
    ratios.append((f"{args.docs:,} documents: predict_proba vs the pipeline's",
                   1 / paired_ratio(t[f"fastscore {names[0]} predict_proba"],
                                    t["scikit-learn pipeline predict_proba"]), 3.0))

    # CSR batches: the vectorizer's own output, scored by the LogisticRegression alone
    sparse_model = fastscore.from_sklearn(lr)
    for n in (1_000, args.docs):
        X = vec.transform(docs[:n])
        want = lr.predict_proba(X)
        check(sparse_model.predict_proba(X), want, f"CSR {n}")
        fns = {"scikit-learn LogisticRegression predict_proba": lambda X=X: lr.predict_proba(X),
               f"fastscore {sparse_model.backend} predict_proba": lambda X=X: sparse_model.predict_proba(X)}
        t = interleaved(fns, args.rounds)
        rows += [(f"CSR {n:,} x {X.shape[1]:,} ({X.nnz:,} entries)", k, median(v), peak_bytes(fns[k]), want.nbytes)
                 for k, v in t.items()]
        ratios.append((f"CSR {n:,} rows: predict_proba vs LogisticRegression's",
                       1 / paired_ratio(t[f"fastscore {sparse_model.backend} predict_proba"],
                                        t["scikit-learn LogisticRegression predict_proba"]), 1.0))

    # loading the model file
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.json")
        converted.save(path)
        pkl = os.path.join(tmp, "pipe.pkl")
        with open(pkl, "wb") as f:
            pickle.dump(pipe, f, protocol=pickle.HIGHEST_PROTOCOL)
        check(fastscore.load(path).predict_proba(docs[:100]), pipe.predict_proba(docs[:100]), "loaded")

        def unpickle():
            with open(pkl, "rb") as f:
                return pickle.load(f)

        fns = {f"fastscore.load, {b} ({os.path.getsize(path) / 1e6:.1f} MB file)":
               (lambda b=b: fastscore.load(path, backend=b)) for b in names}
        fns[f"pickle.load of the scikit-learn pipeline ({os.path.getsize(pkl) / 1e6:.1f} MB file)"] = unpickle
        t = interleaved(fns, args.rounds, min_round_seconds=0.0)
        rows += [(f"load a {len(vec.vocabulary_):,}-term model", k, median(v), None, None) for k, v in t.items()]
        load = median(t[next(iter(fns))])

    print(f"\n| measure | contender | time (median of {args.rounds} rounds) | peak memory | result |")
    print("|---|---|---:|---:|---:|")
    for measure, name, seconds, peak, result in rows:
        mem = "" if peak is None else f"{peak / 1e6:.1f} MB"
        res = "" if result is None else f"{result / 1e6:.1f} MB"
        print(f"| {measure} | {name} | {fmt(seconds)} | {mem} | {res} |")
    if onnx_diffs:
        print(f"\nonnxruntime vs scikit-learn on the {args.docs:,} documents: max |difference| of a probability "
              f"{onnx_diffs[0]:.3g}")
    print(f"\n| target (fastscore {names[0]}) | speed-up (median of paired rounds) | target | |")
    print("|---|---:|---:|---|")
    for name, ratio, limit in ratios:
        print(f"| {name} | {ratio:.1f}x | >= {limit:g}x | {'PASS' if ratio >= limit else 'FAIL'} |")
    print(f"| load of the {len(vec.vocabulary_):,}-term model | {fmt(load)} | < 0.5 s (well under 1 s) | "
          f"{'PASS' if load < 0.5 else 'FAIL'} |")


def fmt(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.1f} ms" if seconds < 1 else \
        f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
