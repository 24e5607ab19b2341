"""Invariants of the generated hard cases: spans point at the right text, seeded, varied."""

from __future__ import annotations

from collections import Counter

import pytest

from model.labels import EVM_ADDRESS, SOLANA_MINT
from model.training.synth import AMBIGUOUS, STOCKS, Generator, generate


@pytest.fixture(scope="module")
def examples():
    return generate(1500, seed=7)


def test_seeded_and_distinct(examples):
    again = generate(1500, seed=7)
    assert [e.text for e in again] == [e.text for e in examples]
    assert len({e.text for e in examples}) == len(examples)
    assert [e.text for e in generate(50, seed=8)] != [e.text for e in examples[:50]]


def test_spans_point_at_their_surface(examples):
    for e in examples:
        assert len(e.spans) == len(e.symbols)
        for (s, t), sym in zip(e.spans, e.symbols):
            assert 0 <= s < t <= len(e.text)
            surface = e.text[s:t]
            assert surface == surface.strip() and surface, (e.text, surface)
            if sym.startswith("CA:"):
                assert EVM_ADDRESS.fullmatch(surface) or SOLANA_MINT.fullmatch(surface)
                assert sym[3:] == (surface.lower() if surface.startswith("0x") else surface)
            elif surface.startswith("$"):
                assert surface[1:].upper() == sym


def test_spans_do_not_overlap(examples):
    for e in examples:
        spans = sorted(e.spans)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_every_family_present(examples):
    fams = Counter(e.source.split(":")[1] for e in examples)
    assert set(fams) == set(Generator.FAMILIES)


def test_everyday_and_stock_families_have_no_false_spans(examples):
    stock_texts = {s for s in STOCKS}
    for e in examples:
        fam = e.source.split(":")[1]
        if fam in ("amb_everyday", "zh_everyday"):
            # only a decoration hashtag could add a span, and those go on crypto families only
            assert e.spans == []
        for s, t in e.spans:
            assert e.text[s:t] not in stock_texts


def test_everyday_sentences_really_contain_the_word():
    for sym, (_, everyday) in AMBIGUOUS.items():
        assert everyday, sym
        for sentence in everyday:
            assert any(w in sentence.casefold() for w in {sym.casefold(), sym.casefold()[:3]}), (sym, sentence)


def test_chinese_examples_carry_cjk_spans(examples):
    zh = [e for e in examples if e.source == "synth:zh_crypto"]
    assert zh
    assert any(any("\u4e00" <= c <= "\u9fff" for c in e.text[s:t]) for e in zh for s, t in e.spans)
