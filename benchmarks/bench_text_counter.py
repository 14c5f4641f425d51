"""The text counter: documents -> CSR counts (and the TF-IDF weighing), fastscore against scikit-learn, side by side.

    python benchmarks/bench_text_counter.py [--docs N] [--words N] [--terms N] [--rounds N]

Documents are made of words drawn from a Zipf-like law over a 20,000-word
lexicon (accented Latin words among them, capitalised now and then, with
punctuation), about --words words each. The vocabulary is CountVectorizer's,
fitted on them. Contenders, each giving the same CSR rows (checked to the bit
before timing):

- one document of about 20 words: scikit-learn's CountVectorizer.transform([doc])
  against Counter.count_one (compiled and pure);
- --docs documents (100,000 by default): CountVectorizer.transform against the
  compiled Counter.count (default pattern, and with ngram_range (1, 2) and
  strip_accents "unicode"), HashingVectorizer(norm=None).transform against the
  compiled hashing Counter, and TfidfTransformer.transform against weigh;
  the pure Counter on a tenth of the documents (it is the reference, not a contender);
- building a Counter over --terms terms (200,000 by default), compiled and pure.

Contenders take turns (fastscore.timing.best_time, the best of --rounds rounds).
The targets (from the integration's brief): one short document in about 1 us,
and the batch at least 5x faster than CountVectorizer.transform. The table is
printed with those ratios; nothing is asserted but the agreement.
"""
import argparse
import time
import warnings

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer

from fastscore import _text, text
from fastscore.timing import PAUSE_BETWEEN_CONTENDERS, best_time


def corpus(n_docs, n_words, rng):
    """n_docs documents of about n_words words from a Zipf-like law over a 20,000-word lexicon."""
    letters = list("abcdefghijklmnopqrstuvwxyz") + ["é", "è", "ü", "ñ", "ç", "ø"]
    lexicon = ["".join(rng.choice(letters, size=rng.integers(2, 10))) for _ in range(20_000)]
    lexicon = [w.capitalize() if i % 7 == 0 else w for i, w in enumerate(lexicon)]
    punctuation = ["", "", "", "", ",", ".", "!", ":"]
    docs = []
    for _ in range(n_docs):
        ranks = np.minimum(rng.zipf(1.2, max(1, int(rng.normal(n_words, n_words / 5)))), len(lexicon)) - 1
        docs.append(" ".join(lexicon[r] + punctuation[r % len(punctuation)] for r in ranks))
    return docs


def same(ours, theirs):
    """Our (indptr, indices, data) are scipy's CSR, to the bit."""
    indptr, indices, data = ours
    return (np.array_equal(indptr, theirs.indptr) and np.array_equal(indices, theirs.indices)
            and data.tobytes() == np.asarray(theirs.data, dtype=np.float64).tobytes())


def timed(rows, label, fn, rounds, reference=None):
    """Appends (label, seconds per call, ratio to the reference's seconds) to rows; returns the seconds."""
    time.sleep(PAUSE_BETWEEN_CONTENDERS)
    seconds = best_time(fn, rounds=rounds)
    rows.append((label, seconds, None if reference is None else reference / seconds))
    return seconds


def show(title, rows):
    print(f"\n{title}")
    for label, seconds, ratio in rows:
        shown = f"{seconds * 1e6:10.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:10.1f} ms"
        print(f"  {label:<58} {shown}" + ("" if ratio is None else f"   {ratio:6.1f}x scikit-learn"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=50)
    parser.add_argument("--terms", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    rng = np.random.default_rng(0)
    docs = corpus(args.docs, args.words, rng)

    # one document
    vectorizer = CountVectorizer().fit(docs[:20_000])
    terms = vectorizer.get_feature_names_out().tolist()
    doc = " ".join(docs[0].split()[:20])
    compiled, pure = _text.Counter({}, terms), text.Counter({}, terms)
    one = vectorizer.transform([doc])
    for counter in (compiled, pure):
        assert same((np.array([0, one.nnz]), *counter.count_one(doc)), one)
    rows = []
    base = timed(rows, "scikit-learn CountVectorizer.transform([doc])", lambda: vectorizer.transform([doc]),
                 args.rounds)
    timed(rows, "fastscore compiled Counter.count_one(doc)", lambda: compiled.count_one(doc), args.rounds, base)
    timed(rows, "fastscore pure Counter.count_one(doc)", lambda: pure.count_one(doc), args.rounds, base)
    show(f"one document of {len(doc.split())} words ({len(terms)} terms)", rows)

    # the batch
    rows = []
    cases = [("default settings", {}, {}),
             ("ngram_range (1, 2), strip_accents 'unicode'", {"ngram_range": (1, 2), "strip_accents": "unicode"},
              {"ngram_range": (1, 2), "strip_accents": "unicode", "min_df": 2})]
    for name, settings, fit_params in cases:
        vectorizer = CountVectorizer(**fit_params).fit(docs[:20_000])
        counter = _text.Counter(settings, vectorizer.get_feature_names_out().tolist())
        X = vectorizer.transform(docs)
        assert same(counter.count(docs), X), name
        base = timed(rows, f"scikit-learn CountVectorizer.transform, {name}", lambda: vectorizer.transform(docs), 1)
        timed(rows, f"fastscore compiled Counter.count, {name}", lambda: counter.count(docs), args.rounds, base)
    hasher = HashingVectorizer(norm=None)
    hashing = _text.Counter({}, n_features=2**20)
    assert same(hashing.count(docs), hasher.transform(docs))
    base = timed(rows, "scikit-learn HashingVectorizer(norm=None).transform", lambda: hasher.transform(docs), 1)
    timed(rows, "fastscore compiled Counter.count, hashing 2**20", lambda: hashing.count(docs), args.rounds, base)
    tenth = docs[: max(1, len(docs) // 10)]
    pure = text.Counter({}, terms)
    timed(rows, f"fastscore pure Counter.count, {len(tenth)} documents", lambda: pure.count(tenth), 1)

    vectorizer = CountVectorizer().fit(docs[:20_000])
    counter = _text.Counter({}, vectorizer.get_feature_names_out().tolist())
    transformer = TfidfTransformer(sublinear_tf=True).fit(vectorizer.transform(docs[:20_000]))
    X = vectorizer.transform(docs).astype(np.float64)
    indptr, indices, data = counter.count(docs)
    weighed = {}

    def weigh(module):
        values = data.copy()
        module.weigh(indptr, indices, values, binary=False, sublinear_tf=True, idf=transformer.idf_, norm="l2")
        weighed[module.__name__] = values

    for module in (_text, text):
        weigh(module)
        assert same((indptr, indices, weighed[module.__name__]), transformer.transform(X))
    base = timed(rows, "scikit-learn TfidfTransformer(sublinear_tf).transform", lambda: transformer.transform(X), 1)
    timed(rows, "fastscore compiled weigh (copy of the counts included)", lambda: weigh(_text), args.rounds, base)
    timed(rows, "fastscore pure weigh (copy of the counts included)", lambda: weigh(text), 1, base)
    show(f"{len(docs)} documents of about {args.words} words", rows)

    # building a Counter
    rows = []
    many = [f"{w}{i}" for i, w in enumerate(terms * (args.terms // len(terms) + 1))][: args.terms]
    timed(rows, f"fastscore compiled Counter({args.terms} terms)", lambda: _text.Counter({}, many), 1)
    timed(rows, f"fastscore pure Counter({args.terms} terms)", lambda: text.Counter({}, many), 1)
    show("building a Counter", rows)


if __name__ == "__main__":
    main()
